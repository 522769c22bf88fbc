package conformance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"joinery/fakes"
	"joinery/scenario"
)

// Bubble runs one experiment in a fresh testing/synctest bubble: its own virtual
// clock, and every goroutine it started has ended when Bubble returns.
type Bubble func(experiment func())

// Drain is how long (virtual) a bubble waits, after the lab closed, for the goroutines
// the code under test left behind: a bubble may not end while one is alive, and time
// stops once its main goroutine returns. The longest scripted call is 5000 s; an
// orphan that calls a service after the lab closed is ended there (fakes.Lab.Close).
const Drain = 10000 * time.Second

// Check judges one property of one model.
type Check func(m *Model, bubble Bubble) Judgement

// Settle is how long (virtual) the observer keeps watching after a call returned.
const Settle = 100 * time.Second

// Checks is every property the Go suite judges, in the catalogue's order.
var Checks = []struct {
	ID    string
	Check Check
}{
	{"join", join},
	{"no_fixed_wait", noFixedWait},
	{"sibling_cancellation", siblingCancellation},
	{"error_surfaced", errorSurfaced},
	{"spawn_after_close", spawnAfterClose},
	{"child_traceback", childTraceback},
	{"body_error_cancels", bodyErrorCancels},
	{"bound", bound},
	{"results_in_order", resultsInOrder},
	{"shed", shed},
	{"cause", cause},
	{"daemon", daemon},
	{"outer_cancel", outerCancel},
	{"catch_cancel_once", catchCancelOnce},
	{"keyboard_interrupt", keyboardInterrupt},
	{"all_errors_kept", allErrorsKept},
	{"leaves_nothing_behind", leavesNothingBehind},
	{"cancel_while_failing", cancelWhileFailing}, // checks_versions.go
	{"spawn_returns_first", spawnReturnsFirst},
}

// supports marks the case unsupported when the model lacks the scenario.
func supports(c *Case, m *Model, scenarioName string, fn any) bool {
	if isNil(fn) {
		reason := m.Unsupported[scenarioName]
		if reason == "" {
			reason = "no Go program for " + scenarioName
		}
		c.Unsupported = reason
		return false
	}
	return true
}

func isNil(fn any) bool {
	switch f := fn.(type) {
	case func(context.Context, scenario.DashboardAPI, string) (scenario.Dashboard, error):
		return f == nil
	case func(context.Context, func(scenario.Spawner) error) error:
		return f == nil
	case func(func() error) error:
		return f == nil
	case func(context.Context, scenario.Fetch, []string, int) ([]string, error):
		return f == nil
	case func(context.Context, []scenario.Work, int) (int, int):
		return f == nil
	case func(context.Context, scenario.Work, scenario.Work, func(error)) error:
		return f == nil
	case func(time.Duration, scenario.Work) scenario.Stopper:
		return f == nil
	case func(context.Context, []scenario.Work) error:
		return f == nil
	}
	panic(fmt.Sprintf("conformance: unknown scenario type %T", fn))
}

// -- shared pieces -------------------------------------------------------------------

type api struct{ svc *fakes.Service }

func (a api) FetchUser(ctx context.Context, _ string) (scenario.User, error) {
	return a.svc.Call(ctx, "user")
}

func (a api) FetchPosts(ctx context.Context, _ string) (scenario.Post, error) {
	return a.svc.Call(ctx, "posts")
}

func (a api) FetchStats(ctx context.Context, _ string) (scenario.Stats, error) {
	return a.svc.Call(ctx, "stats")
}

func work(svc *fakes.Service, key string) scenario.Work {
	return func(ctx context.Context) error { _, err := svc.Call(ctx, key); return err }
}

// experiment is what one bubble hands back: the lab and the caller's outcome.
type experiment struct {
	lab *fakes.Lab
	out fakes.Outcome
}

// run runs body in a bubble with a fresh lab, keeps watching for Settle, closes the
// lab and records what it saw in c.
func run(c *Case, bubble Bubble, settle bool, body func(lab *fakes.Lab) fakes.Outcome) experiment {
	var e experiment
	bubble(func() {
		e.lab = fakes.NewLab()
		e.out = body(e.lab)
		if settle {
			time.Sleep(Settle)
		}
		// Let whatever woke at this same instant (a seed's ticker) run until it blocks,
		// so that whether it got in before the close never depends on the scheduler.
		synctest.Wait()
		e.lab.Close()
		time.Sleep(Drain)
	})
	c.Note("calls", fakes.CallsJSON(e.lab.Calls()))
	c.Note("outcome", e.out.JSON())
	return e
}

func requireQuietAfter(c *Case, e experiment) {
	late := e.lab.ActiveAfter(e.out.EndSeq)
	var names []string
	for _, call := range late {
		names = append(names, fmt.Sprintf("%s (%s at t=%g)", call.Key, call.Ending, call.Ended))
	}
	sort.Strings(names)
	c.Require(len(late) == 0, "children ran after the call returned: %s", strings.Join(names, ", "))
}

func requireNotHung(c *Case, out fakes.Outcome) {
	c.Require(!out.Hung, "the call hung (still running at t=%g)", out.EndedAt)
}

func dashboard(m *Model, lab *fakes.Lab, scripts map[string]fakes.Script, cancelAfter time.Duration) fakes.Outcome {
	svc := lab.Service("api", scripts, nil)
	ctx, cancel := context.WithCancel(context.Background())
	// As a Go caller does (defer cancel()): a fetch the call left running sees its
	// context cancelled once the call returned, and the journal shows it ending then.
	defer cancel()
	if cancelAfter > 0 {
		time.AfterFunc(cancelAfter, cancel)
	}
	return lab.Observe(func() (any, error) { return m.LoadDashboard(ctx, api{svc}, "u1") })
}

// -- T1 --------------------------------------------------------------------------------

func join(m *Model, bubble Bubble) Judgement {
	var cases []*Case
	t1 := func(name string, scripts map[string]fakes.Script, cancelAfter time.Duration, extra func(*Case, experiment)) {
		c := newCase(name)
		cases = append(cases, c)
		if !supports(c, m, "load_dashboard", m.LoadDashboard) {
			return
		}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, cancelAfter) })
		requireNotHung(c, e.out)
		if extra != nil {
			extra(c, e)
		}
		requireQuietAfter(c, e)
	}
	// 2.5 s, not 2 s: a fetch ending at the very instant of the seed's 2 s sleep would
	// race it, and no verdict may depend on which goroutine the scheduler wakes first.
	t1("T1 success", map[string]fakes.Script{
		"user": fakes.Ok(1, "U"), "posts": fakes.Ok(2.5, "P"), "stats": fakes.Ok(3, "S"),
	}, 0, func(c *Case, e experiment) {
		want := scenario.Dashboard{User: "U", Posts: "P", Stats: "S"}
		got, _ := e.out.Value.(scenario.Dashboard)
		c.Require(e.out.Err == nil && got == want, "returned %+v, %v instead of all three parts", got, e.out.Err)
	})
	t1("T1 failure", map[string]fakes.Script{
		"user": fakes.Fail(1, &fakes.Failure{What: "user failed"}), "posts": fakes.Ok(5, "P"), "stats": fakes.Ok(5, "S"),
	}, 0, nil)
	t1("T1 outer cancellation", map[string]fakes.Script{
		"user": fakes.Ok(10, "U"), "posts": fakes.Ok(10, "P"), "stats": fakes.Ok(10, "S"),
	}, 5*time.Second, nil)

	c := newCase("T2 scope")
	cases = append(cases, c)
	if supports(c, m, "run_scope", m.RunScope) {
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("child", map[string]fakes.Script{"a": fakes.Ok(1, "a"), "b": fakes.Ok(2, "b"), "c": fakes.Ok(3, "c")}, nil)
			return lab.Observe(func() (any, error) {
				return nil, m.RunScope(context.Background(), func(s scenario.Spawner) error {
					for _, k := range []string{"a", "b", "c"} {
						if err := s.Spawn(work(svc, k)); err != nil {
							return err
						}
					}
					return nil
				})
			})
		})
		requireNotHung(c, e.out)
		c.Require(e.out.Err == nil, "Run returned %s", firstLine(e.out.Err))
		c.Require(len(e.lab.Calls()) == 3, "not all three children ran")
		requireQuietAfter(c, e)
	}
	return conclude(m, cases, "returned only after every child ended, in all four cases")
}

func noFixedWait(m *Model, bubble Bubble) Judgement {
	var cases []*Case
	for _, tc := range []struct {
		name string
		lat  [3]float64
	}{{"fast fetches", [3]float64{0.5, 1.0, 1.5}}, {"slow fetches", [3]float64{10, 20, 30}}} {
		c := newCase(tc.name)
		cases = append(cases, c)
		if !supports(c, m, "load_dashboard", m.LoadDashboard) {
			continue
		}
		scripts := map[string]fakes.Script{
			"user": fakes.Ok(tc.lat[0], "U"), "posts": fakes.Ok(tc.lat[1], "P"), "stats": fakes.Ok(tc.lat[2], "S"),
		}
		e := run(c, bubble, false, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, 0) })
		last := -1.0
		for _, call := range e.lab.Calls() {
			if call.Ended > last {
				last = call.Ended
			}
		}
		c.Note("slowest_fetch_ended", last)
		c.Require(e.out.Err == nil, "raised %s", firstLine(e.out.Err))
		c.Require(e.out.EndedAt == last, "returned at t=%g, the slowest fetch ended at t=%g", e.out.EndedAt, last)
	}
	return conclude(m, cases, "returned exactly when the slowest fetch ended")
}

func siblingCancellation(m *Model, bubble Bubble) Judgement {
	c := newCase("T1 user fails")
	if supports(c, m, "load_dashboard", m.LoadDashboard) {
		scripts := map[string]fakes.Script{
			"user": fakes.Fail(1, &fakes.Failure{What: "user failed"}), "posts": fakes.Ok(100, "P"), "stats": fakes.Ok(100, "S"),
		}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, 0) })
		for _, key := range []string{"posts", "stats"} {
			calls := e.lab.ByKey(key)
			c.Require(len(calls) > 0, "%s never started", key)
			for _, call := range calls {
				c.Require(call.Ending == "cancelled" && call.Ended == 1,
					"%s was not cancelled at t=1: it ended %s at t=%g", key, call.Ending, call.Ended)
			}
		}
	}
	return conclude(m, []*Case{c}, "both siblings were cancelled at the instant of the failure")
}

func errorSurfaced(m *Model, bubble Bubble) Judgement {
	one := newCase("one failure")
	if supports(one, m, "load_dashboard", m.LoadDashboard) {
		boom := &fakes.Failure{What: "user failed"}
		scripts := map[string]fakes.Script{"user": fakes.Fail(3, boom), "posts": fakes.Ok(1, "P"), "stats": fakes.Ok(1, "S")}
		e := run(one, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, 0) })
		one.Require(is(e.out.Err, boom), "the caller got %q, not the failure", firstLine(e.out.Err))
	}
	two := newCase("two failures at once")
	if supports(two, m, "load_dashboard", m.LoadDashboard) {
		scripts := map[string]fakes.Script{
			"user":  fakes.Fail(3, &fakes.Failure{What: "user failed"}),
			"posts": fakes.Fail(3, &fakes.Failure{What: "posts failed"}),
			"stats": fakes.Ok(100, "S"),
		}
		e := run(two, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, 0) })
		// Which of two simultaneous errors a model keeps may depend on the scheduler;
		// how many it loses does not, so the evidence names the count.
		raised, lost := 0, 0
		for _, call := range e.lab.Calls() {
			if call.Ending == "error" {
				raised++
				if !errors.Is(e.out.Err, call.Err) {
					lost++
				}
			}
		}
		two.Note("raised_by_children", raised)
		two.Note("reached_the_caller", raised-lost)
		delete(two.Observed, "outcome") // its text names whichever error won the race
		two.Require(lost == 0, "lost %d of the %d errors the children raised at t=3", lost, raised)
	}
	return conclude(m, []*Case{one, two}, "the very error values reached the caller, none lost")
}

// -- T2 / T6 ---------------------------------------------------------------------------

func behaviour(err error) string {
	if err != nil {
		return "refused: " + firstLine(err)
	}
	return "no-op"
}

func spawnAfterClose(m *Model, bubble Bubble) Judgement {
	t6 := newCase("T6 Wait before Go")
	if supports(t6, m, "wait_then_spawn", m.WaitThenSpawn) {
		e := run(t6, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("work", nil, &fakes.Script{Latency: time.Second, Result: "done"})
			return lab.Observe(func() (any, error) {
				return nil, m.WaitThenSpawn(func() error { return work(svc, "work")(context.Background()) })
			})
		})
		t6.Note("behaviour", behaviour(e.out.Err))
		t6.Require(len(e.lab.Calls()) == 0, "the work started after the wait: an orphan nobody joins")
	}
	t2 := newCase("T2 spawn after Run returned")
	if supports(t2, m, "run_scope", m.RunScope) {
		e := run(t2, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("work", nil, &fakes.Script{Latency: time.Second, Result: "done"})
			var kept scenario.Spawner
			_ = m.RunScope(context.Background(), func(s scenario.Spawner) error { kept = s; return nil })
			return lab.Observe(func() (any, error) { return nil, kept.Spawn(work(svc, "late")) })
		})
		t2.Note("behaviour", behaviour(e.out.Err))
		t2.Require(len(e.lab.Calls()) == 0, "the late child started outside any scope: an orphan nobody joins")
	}
	return conclude(m, []*Case{t6, t2}, "no late spawn ever started")
}

func scope(m *Model, lab *fakes.Lab, body func(s scenario.Spawner) error) fakes.Outcome {
	return lab.Observe(func() (any, error) { return nil, m.RunScope(context.Background(), body) })
}

func childTraceback(m *Model, bubble Bubble) Judgement {
	c := newCase("T2 child panics")
	if supports(c, m, "run_scope", m.RunScope) {
		boom := &fakes.Failure{What: "child failed"}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("child", map[string]fakes.Script{"bad": {Latency: time.Second, Err: boom, Panic: true}}, nil)
			return scope(m, lab, func(s scenario.Spawner) error { return s.Spawn(work(svc, "bad")) })
		})
		// A Go error carries no stack: the exception-with-traceback of the property is
		// a panic, whose stack the scope must hand on with the value.
		text := ""
		if e.out.Err != nil {
			text = e.out.Err.Error()
		}
		c.Require(is(e.out.Err, boom), "the caller got %q, not the panic's value", firstLine(e.out.Err))
		reaches := strings.Contains(text, "joinery/fakes.(*Service).Call")
		c.Note("stack_reaches_the_service_frame", reaches)
		c.Require(reaches, "the error reached the caller without the stack of the frame that panicked")
	}
	return conclude(m, []*Case{c}, "the caller's error carries the panic's value and the stack down to the service frame")
}

func bodyErrorCancels(m *Model, bubble Bubble) Judgement {
	c := newCase("T2 body fails")
	if supports(c, m, "run_scope", m.RunScope) {
		bodyErr := &fakes.Failure{What: "body failed"}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("child", nil, &fakes.Script{Latency: 100 * time.Second, Result: "late"})
			timer := lab.Service("body", map[string]fakes.Script{"tick": fakes.Ok(1, nil)}, nil)
			return scope(m, lab, func(s scenario.Spawner) error {
				_ = s.Spawn(work(svc, "a"))
				_ = s.Spawn(work(svc, "b"))
				_, _ = timer.Call(context.Background(), "tick")
				return bodyErr
			})
		})
		c.Require(is(e.out.Err, bodyErr), "the caller got %q, not the body's error", firstLine(e.out.Err))
		for _, call := range e.lab.Calls() {
			if call.Service == "child" {
				c.Require(call.Ending == "cancelled" && call.Ended == 1,
					"child %s was not cancelled at t=1: it ended %s at t=%g", call.Key, call.Ending, call.Ended)
			}
		}
	}
	return conclude(m, []*Case{c}, "both children were cancelled when the body failed")
}

// -- T3 / T5 ---------------------------------------------------------------------------

func uneven(i int) float64 { return float64(1 + (i*7)%5) }

func fetchAll(m *Model, lab *fakes.Lab, n, limit int, latency func(int) float64, timeout time.Duration) fakes.Outcome {
	scripts := map[string]fakes.Script{}
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("u%d", i)
		scripts[urls[i]] = fakes.Ok(latency(i), fmt.Sprintf("r%d", i))
	}
	svc := lab.Service("http", scripts, nil)
	fetch := func(ctx context.Context, url string) (string, error) {
		v, err := svc.Call(ctx, url)
		s, _ := v.(string)
		return s, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	defer cancel()
	return lab.Observe(func() (any, error) { return m.FetchAll(ctx, fetch, urls, limit) })
}

func bound(m *Model, bubble Bubble) Judgement {
	c := newCase("T3 40 urls, limit 4")
	if supports(c, m, "fetch_all", m.FetchAll) {
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return fetchAll(m, lab, 40, 4, uneven, 0) })
		seen := e.lab.MaxInFlight()
		delete(c.Observed, "outcome")
		c.Note("max_in_flight", seen)
		c.Require(seen <= 4, "%d calls in flight at once, over the limit of 4", seen)
		c.Require(seen >= 4, "at most %d in flight: the bound of 4 was never used", seen)
		c.Require(len(e.lab.Calls()) == 40, "not every url was fetched")
	}
	return conclude(m, []*Case{c}, "never more than 4 in flight, and 4 reached")
}

func resultsInOrder(m *Model, bubble Bubble) Judgement {
	c := newCase("T3 40 urls, limit 4")
	if supports(c, m, "fetch_all", m.FetchAll) {
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return fetchAll(m, lab, 40, 4, uneven, 0) })
		delete(c.Observed, "calls")
		delete(c.Observed, "outcome") // the list itself: see below
		c.Note("ended_at", e.out.EndedAt)
		got, _ := e.out.Value.([]string)
		want := make([]string, 40)
		for i := range want {
			want[i] = fmt.Sprintf("r%d", i)
		}
		c.Require(e.out.Err == nil, "raised %s", firstLine(e.out.Err))
		// Say which, not the list: results that completed at the same virtual instant
		// come in whichever order the scheduler ran them.
		sorted := append([]string(nil), got...)
		sort.Strings(sorted)
		wantSorted := append([]string(nil), want...)
		sort.Strings(wantSorted)
		complete := fmt.Sprint(sorted) == fmt.Sprint(wantSorted)
		c.Note("complete", complete)
		c.Note("in_input_order", fmt.Sprint(got) == fmt.Sprint(want))
		c.Require(complete, "results missing or wrong: %d returned for 40 urls", len(got))
		c.Require(!complete || fmt.Sprint(got) == fmt.Sprint(want),
			"every result came back, but not in input order")
	}
	return conclude(m, []*Case{c}, "every result, in input order")
}

func shed(m *Model, bubble Bubble) Judgement {
	c := newCase("T5 20 jobs, limit 4")
	if supports(c, m, "run_shedded", m.RunShedded) {
		var accepted, dropped int
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("jobs", nil, &fakes.Script{Latency: 5 * time.Second})
			jobs := make([]scenario.Work, 20)
			for i := range jobs {
				jobs[i] = work(svc, fmt.Sprintf("job%d", i))
			}
			return lab.Observe(func() (any, error) {
				accepted, dropped = m.RunShedded(context.Background(), jobs, 4)
				return nil, nil
			})
		})
		calls := e.lab.Calls()
		completed := 0
		for _, call := range calls {
			if call.Ending == "ok" {
				completed++
			}
		}
		c.Note("returned_counts", fmt.Sprintf("(%d, %d)", accepted, dropped))
		c.Note("started", len(calls))
		c.Note("completed", completed)
		c.Note("max_in_flight", e.lab.MaxInFlight())
		c.Require(accepted+dropped == 20, "%d + %d != 20 submitted", accepted, dropped)
		c.Require(completed == accepted && accepted == len(calls),
			"accepted %d, but the service saw %d start and %d complete", accepted, len(calls), completed)
		c.Require(e.lab.MaxInFlight() <= 4, "%d in flight, over the limit of 4", e.lab.MaxInFlight())
	}
	return conclude(m, []*Case{c}, "accepted + dropped = 20, every accepted job ran, ≤ 4 in flight")
}

// -- T7 --------------------------------------------------------------------------------

func cause(m *Model, bubble Bubble) Judgement {
	c := newCase("T7 sibling's cause")
	if supports(c, m, "cause_of_cancel", m.CauseOfCancel) {
		boom := &fakes.Failure{What: "boom"}
		var reported []error
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("svc", map[string]fakes.Script{"fail": fakes.Fail(1, boom), "wait": fakes.Ok(100, nil)}, nil)
			return lab.Observe(func() (any, error) {
				return nil, m.CauseOfCancel(context.Background(), work(svc, "fail"), work(svc, "wait"),
					func(err error) { reported = append(reported, err) })
			})
		})
		var seen []string
		for _, r := range reported {
			seen = append(seen, fmt.Sprintf("%T: %v", r, r))
		}
		c.Note("reported", seen)
		c.Require(len(reported) > 0, "the sibling was never cancelled, so it saw no cause")
		for _, r := range reported {
			c.Require(r == error(boom), "the sibling's cause was %T %q, not the failure itself", r, r)
		}
		c.Require(is(e.out.Err, boom), "the caller got %q", firstLine(e.out.Err))
	}
	return conclude(m, []*Case{c}, "the sibling obtained the very error value (context.Cause)")
}

// -- T8 --------------------------------------------------------------------------------

func flushCounter(svc *fakes.Service) scenario.Work {
	n := 0
	return func(ctx context.Context) error {
		n++
		_, err := svc.Call(ctx, fmt.Sprintf("flush%d", n))
		return err
	}
}

func daemon(m *Model, bubble Bubble) Judgement {
	stop := newCase("T8 stop mid-flush")
	if supports(stop, m, "flusher", m.Flusher) {
		var stopSeq, stop2Seq int
		e := run(stop, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("store", nil, &fakes.Script{Latency: 5 * time.Second})
			return lab.Observe(func() (any, error) {
				f := m.Flusher(10*time.Second, flushCounter(svc))
				time.Sleep(32 * time.Second)
				err := f.Stop()
				stopSeq = lab.Mark()
				if err2 := f.Stop(); err2 != err {
					return nil, fmt.Errorf("the second Stop returned %v, the first %v", err2, err)
				}
				stop2Seq = lab.Mark()
				return nil, err
			})
		})
		stop.Require(e.out.Err == nil, "the owner got %q", firstLine(e.out.Err))
		stop.Require(stop2Seq > 0, "the second Stop() did not return quietly")
		if stopSeq > 0 {
			var late []string
			for _, call := range e.lab.ActiveAfter(stopSeq) { // in start order
				late = append(late, fmt.Sprintf("%s at t=%g", call.Key, call.Started))
			}
			stop.Require(len(late) == 0, "flushes after Stop() returned: %s", strings.Join(late, ", "))
		}
	}
	fails := newCase("T8 flush fails")
	if supports(fails, m, "flusher", m.Flusher) {
		boom := &fakes.Failure{What: "flush failed"}
		e := run(fails, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("store", map[string]fakes.Script{"flush2": fakes.Fail(5, boom)}, &fakes.Script{Latency: 5 * time.Second})
			return lab.Observe(func() (any, error) {
				f := m.Flusher(10*time.Second, flushCounter(svc))
				time.Sleep(50 * time.Second)
				return nil, f.Stop()
			})
		})
		fails.Require(is(e.out.Err, boom), "the flush's error never reached the owner (Stop returned %q)", firstLine(e.out.Err))
	}
	return conclude(m, []*Case{stop, fails}, "Stop() joined, twice quietly; the flush error reached the owner")
}

// -- outer cancellation ----------------------------------------------------------------

func requireCancelledAt(c *Case, e experiment, t float64) {
	for _, call := range e.lab.Calls() {
		c.Require(call.Ending == "cancelled" && call.Ended == t && !e.lab.EndedAfter(call, e.out.EndSeq),
			"%s was not cancelled at t=%g before the caller ended: it ended %s at t=%g", call.Key, t, call.Ending, call.Ended)
	}
}

func outerCancel(m *Model, bubble Bubble) Judgement {
	t1 := newCase("T1 caller cancelled")
	if supports(t1, m, "load_dashboard", m.LoadDashboard) {
		scripts := map[string]fakes.Script{"user": fakes.Ok(100, "U"), "posts": fakes.Ok(100, "P"), "stats": fakes.Ok(100, "S")}
		e := run(t1, bubble, true, func(lab *fakes.Lab) fakes.Outcome { return dashboard(m, lab, scripts, 5*time.Second) })
		t1.Require(errors.Is(e.out.Err, context.Canceled), "the caller did not end cancelled")
		requireCancelledAt(t1, e, 5)
		requireQuietAfter(t1, e)
	}
	t3 := newCase("T3 under a timeout")
	if supports(t3, m, "fetch_all", m.FetchAll) {
		e := run(t3, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			return fetchAll(m, lab, 20, 4, func(int) float64 { return 100 }, 5*time.Second)
		})
		t3.Require(e.out.Err != nil, "returned %v despite the timeout", e.out.Value)
		requireCancelledAt(t3, e, 5)
		requireQuietAfter(t3, e)
	}
	return conclude(m, []*Case{t1, t3}, "every child was cancelled at t=5 and joined before the caller")
}

// -- T2 edge cases ---------------------------------------------------------------------

func catchCancelOnce(m *Model, bubble Bubble) Judgement {
	c := newCase("T2 stubborn sibling")
	if supports(c, m, "run_scope", m.RunScope) {
		boom := &fakes.Failure{What: "child failed"}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			never := &fakes.Script{Latency: 5000 * time.Second} // beyond the hang deadline
			svc := lab.Service("child", map[string]fakes.Script{"bad": fakes.Fail(1, boom)}, never)
			stubborn := func(ctx context.Context) error {
				_, _ = svc.Call(ctx, "stubborn-first-wait") // the cancellation, swallowed once
				_, err := svc.Call(ctx, "stubborn-second-wait")
				return err
			}
			return scope(m, lab, func(s scenario.Spawner) error {
				_ = s.Spawn(work(svc, "bad"))
				return s.Spawn(stubborn)
			})
		})
		second := e.lab.ByKey("stubborn-second-wait")
		switch {
		case e.out.Hung:
			c.Note("behaviour", "hung: the scope waited for the stubborn child until the observer gave up")
		case len(second) > 0:
			c.Note("behaviour", fmt.Sprintf("ended at t=%g; the stubborn child's second wait ended %s: "+
				"a context stays cancelled, so asking again sees it at once", e.out.EndedAt, second[0].Ending))
		default:
			c.Note("behaviour", fmt.Sprintf("ended at t=%g; the stubborn child's second wait never started", e.out.EndedAt))
		}
		requireNotHung(c, e.out)
		c.Require(is(e.out.Err, boom) || e.out.Hung, "the child's failure was lost")
	}
	return conclude(m, []*Case{c}, "the scope ended despite the swallowed cancellation")
}

func keyboardInterrupt(m *Model, _ Bubble) Judgement {
	c := newCase("T2 child raises KeyboardInterrupt / SystemExit")
	c.Unsupported = "Go has no KeyboardInterrupt or SystemExit to raise in a goroutine: SIGINT " +
		"arrives as a value on an os/signal channel, and os.Exit ends the process at once " +
		"without unwinding any goroutine, so there is nothing to propagate"
	return conclude(m, []*Case{c}, "")
}

// -- T9 --------------------------------------------------------------------------------

func allErrorsKept(m *Model, bubble Bubble) Judgement {
	c := newCase("T9 three failures")
	if supports(c, m, "check_all", m.CheckAll) {
		errs := []*fakes.Failure{{What: "c1 failed"}, {What: "c2 failed"}, {What: "c4 failed"}}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			svc := lab.Service("checks", map[string]fakes.Script{
				"c1": fakes.Fail(1, errs[0]), "c2": fakes.Fail(2, errs[1]), "c3": fakes.Ok(3, nil), "c4": fakes.Fail(4, errs[2]),
			}, nil)
			checks := []scenario.Work{work(svc, "c1"), work(svc, "c2"), work(svc, "c3"), work(svc, "c4")}
			return lab.Observe(func() (any, error) { return nil, m.CheckAll(context.Background(), checks) })
		})
		var lost []string
		for _, err := range errs {
			if !is(e.out.Err, err) {
				lost = append(lost, err.What)
			}
		}
		c.Require(len(lost) == 0, "lost %s; got %q", strings.Join(lost, ", "), firstLine(e.out.Err))
		var unfinished []string
		for _, call := range e.lab.Calls() {
			if call.Ending == "cancelled" || call.Ending == "open" {
				unfinished = append(unfinished, call.Key)
			}
		}
		c.Require(len(unfinished) == 0, "checks cut short: %s", strings.Join(unfinished, ", "))
		c.Require(len(e.lab.Calls()) == 4, "not every check ran")
	}
	return conclude(m, []*Case{c}, "every check ran to its end and all three errors surfaced")
}

// -- leaks -----------------------------------------------------------------------------

var (
	goleakTop = regexp.MustCompile(`Goroutine \d+ in state (.+?), with (\S+) on top of the stack`)
	bubbleID  = regexp.MustCompile(`, synctest bubble \d+`)
)

// leaked is goleak's finding as stable evidence: "state: top function" per goroutine,
// sorted (goroutine ids and addresses differ from run to run).
func leaked(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, m := range goleakTop.FindAllStringSubmatch(err.Error(), -1) {
		out = append(out, bubbleID.ReplaceAllString(m[1], "")+": "+m[2])
	}
	if len(out) == 0 {
		out = append(out, firstLine(err))
	}
	sort.Strings(out)
	return out
}

func leavesNothingBehind(m *Model, bubble Bubble) Judgement {
	runs := []struct {
		name, scenario string
		fn             any
		body           func(lab *fakes.Lab)
	}{
		{"T1 with a failing fetch", "load_dashboard", m.LoadDashboard, func(lab *fakes.Lab) {
			svc := lab.Service("api", map[string]fakes.Script{"user": fakes.Fail(1, &fakes.Failure{What: "x"})}, &fakes.Script{Latency: 30 * time.Second})
			_, _ = m.LoadDashboard(context.Background(), api{svc}, "u1")
		}},
		{"T2 with a failing body", "run_scope", m.RunScope, func(lab *fakes.Lab) {
			svc := lab.Service("child", nil, &fakes.Script{Latency: 30 * time.Second})
			_ = m.RunScope(context.Background(), func(s scenario.Spawner) error {
				_ = s.Spawn(work(svc, "a"))
				return &fakes.Failure{What: "body failed"}
			})
		}},
		{"T6 Wait before Go", "wait_then_spawn", m.WaitThenSpawn, func(lab *fakes.Lab) {
			svc := lab.Service("work", nil, &fakes.Script{Latency: 30 * time.Second})
			_ = m.WaitThenSpawn(func() error { return work(svc, "work")(context.Background()) })
		}},
		{"T8 flusher stopped", "flusher", m.Flusher, func(lab *fakes.Lab) {
			svc := lab.Service("store", nil, &fakes.Script{Latency: 5 * time.Second})
			f := m.Flusher(10*time.Second, flushCounter(svc))
			time.Sleep(32 * time.Second)
			_ = f.Stop()
		}},
	}
	var cases []*Case
	for _, r := range runs {
		c := newCase(r.name)
		cases = append(cases, c)
		if !supports(c, m, r.scenario, r.fn) {
			continue
		}
		var found []string
		var open []fakes.Call
		bubble(func() {
			lab := fakes.NewLab()
			before := goleak.IgnoreCurrent()
			r.body(lab)
			// No settling: look at the instant of the return, as goleak.VerifyNone does at
			// the end of a test (its own retries span about 1.4 virtual seconds). Wait
			// lets goroutines already runnable at that instant reach their first block,
			// so an orphan counts the same however the scheduler ordered its start.
			synctest.Wait()
			open = lab.Open()
			found = leaked(goleak.Find(before))
			lab.Close()
			time.Sleep(Drain)
		})
		var alive []string
		alive = append(alive, found...)
		for _, call := range open {
			alive = append(alive, "open call "+call.Key)
		}
		sort.Strings(alive)
		c.Note("goleak", found)
		c.Note("open_calls", fakes.CallsJSON(open))
		c.Require(len(alive) == 0, "left behind: %s", strings.Join(alive, "; "))
	}
	return conclude(m, cases, "goleak found nothing alive after any of the scenarios returned")
}
