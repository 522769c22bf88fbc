package conformance

import (
	"context"
	"errors"
	"sync"
	"time"

	"joinery/fakes"
	"joinery/scenario"
)

// The two properties issue 12 added for the behaviours that moved between CPython
// releases (joinery.conformance._checks_versions), asked of Go.

// outside is the caller's context and a cancellation of it from outside the model,
// fired from a child's code so that it lands at an exact step of the failure handling
// (what a timeout or a supervisor cancelling the caller does), with no race of timers.
type outside struct {
	lab    *fakes.Lab
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // fire runs in a child's goroutine, the judge reads after the run
	firedAt float64
	fired   bool
}

func newOutside(lab *fakes.Lab) *outside {
	ctx, cancel := context.WithCancel(context.Background())
	return &outside{lab: lab, ctx: ctx, cancel: cancel}
}

func (o *outside) fire() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.fired {
		o.fired, o.firedAt = true, o.lab.Now()
	}
	o.cancel()
}

func (o *outside) when() (float64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.firedAt, o.fired
}

// caller is the model's caller: it handles the scenario's error, then makes one more
// context-aware call. The error is an ordinary one a caller may handle; the outside
// cancellation is not the caller's to drop: that next call must end cancelled.
func (o *outside) caller(after *fakes.Service, scenarioFn func(ctx context.Context) error, caught *error) func() (any, error) {
	return func() (any, error) {
		if err := scenarioFn(o.ctx); err != nil {
			*caught = err // handled on purpose
		}
		_, err := after.Call(o.ctx, "next-await")
		return nil, err
	}
}

// caughtText is the error the caller handled, as evidence. When the cancellation fires
// in the failing step, the failing child and its cancelled siblings return at the same
// instant in different goroutines, and errgroup keeps whichever error came first: either
// is a right answer, and naming the one seen would make the evidence differ between runs.
func caughtText(caught error, failure *fakes.Failure, racy bool) string {
	switch {
	case caught == nil:
		return "nothing"
	case racy && (is(caught, failure) || errors.Is(caught, context.Canceled)):
		return "the child's failure or context.Canceled (which goroutine returned first is a race)"
	}
	return firstLine(caught)
}

func judgeCancelKept(c *Case, e experiment, caught error, o *outside, failure *fakes.Failure, racy bool) {
	nexts := e.lab.ByKey("next-await")
	at, fired := o.when()
	if fired {
		c.Note("outside_cancel_fired_at", at)
	} else {
		c.Note("outside_cancel_fired_at", nil)
	}
	c.Note("caller_caught", caughtText(caught, failure, racy))
	c.Note("next_await", "never started")
	if len(nexts) > 0 {
		c.Note("next_await", nexts[0].Ending)
	}
	if !fired {
		// Only a scope that cancels the sibling gives it the chance to fire; one that
		// does not is judged by sibling_cancellation, not here.
		c.Note("not_applicable", "the scope never cancelled the sibling, so nothing fired")
		return
	}
	requireNotHung(c, e.out)
	for _, n := range nexts {
		c.Require(n.Ending != "ok", "the caller ran on past the cancellation: its next call "+
			"completed at t=%g, the cancellation fired at t=%g while the scope still handled "+
			"the failure", n.Ended, at)
	}
	c.Require(e.out.Hung || len(nexts) > 0, "the caller never made its next call")
	c.Require(e.out.Hung || errors.Is(e.out.Err, context.Canceled),
		"the caller did not end cancelled: %q", firstLine(e.out.Err))
}

// cancelWhileFailing: the caller's context is cancelled while the scope handles a
// child's failure; after the failure surfaces, the caller's next call must end
// cancelled. No callee can un-cancel a Go context (Done stays closed, Err stays set),
// so a scope can only lose this by surfacing the failure before it has finished
// handling it: the caller then runs on while the cancellation is yet to land.
func cancelWhileFailing(m *Model, bubble Bubble) Judgement {
	var cases []*Case
	for _, when := range []string{"in the failing step", "as the sibling is cancelled", "while the sibling cleans up"} {
		c := newCase("T2 outside cancel " + when)
		cases = append(cases, c)
		if !supports(c, m, "run_scope", m.RunScope) {
			continue
		}
		var o *outside
		var caught error
		boom := &fakes.Failure{What: "child failed"}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			o = newOutside(lab)
			svc := lab.Service("child", map[string]fakes.Script{
				"tick": fakes.Ok(1, nil), "cleanup-1": fakes.Ok(1, nil), "cleanup-2": fakes.Ok(1, nil),
			}, &fakes.Script{Latency: 100 * time.Second})
			// 0.5 s: it ends before the clean-up's cancellation at t=2 when the scope
			// returned at t=1 (the script wins a tie, but no verdict rests on one).
			after := lab.Service("caller", nil, &fakes.Script{Latency: 500 * time.Millisecond})
			failing := func(ctx context.Context) error {
				_, _ = svc.Call(ctx, "tick")
				if when == "in the failing step" {
					o.fire()
				}
				return boom
			}
			sibling := func(ctx context.Context) error {
				_, err := svc.Call(ctx, "sibling")
				switch {
				case err == nil:
					return nil
				case when == "as the sibling is cancelled":
					o.fire()
				case when == "while the sibling cleans up":
					// Clean-up that must finish even though the work was cancelled (a
					// rollback): 2 s, the caller cancelled half-way through.
					clean := context.WithoutCancel(ctx)
					_, _ = svc.Call(clean, "cleanup-1")
					o.fire()
					_, _ = svc.Call(clean, "cleanup-2")
				}
				return err
			}
			scopeRun := func(ctx context.Context) error {
				return m.RunScope(ctx, func(s scenario.Spawner) error {
					if err := s.Spawn(failing); err != nil {
						return err
					}
					return s.Spawn(sibling)
				})
			}
			return lab.Observe(o.caller(after, scopeRun, &caught))
		})
		judgeCancelKept(c, e, caught, o, boom, when == "in the failing step")
	}
	c := newCase("T1 outside cancel in the failing step")
	cases = append(cases, c)
	if supports(c, m, "load_dashboard", m.LoadDashboard) {
		var o *outside
		var caught error
		boom := &fakes.Failure{What: "user failed"}
		e := run(c, bubble, true, func(lab *fakes.Lab) fakes.Outcome {
			o = newOutside(lab)
			svc := lab.Service("api", map[string]fakes.Script{
				"user": fakes.Fail(1, boom),
			}, &fakes.Script{Latency: 100 * time.Second})
			after := lab.Service("caller", nil, &fakes.Script{Latency: 500 * time.Millisecond})
			load := func(ctx context.Context) error {
				_, err := m.LoadDashboard(ctx, firingAPI{api{svc}, o}, "u1")
				return err
			}
			return lab.Observe(o.caller(after, load, &caught))
		})
		judgeCancelKept(c, e, caught, o, boom, true)
	}
	return conclude(m, cases,
		"the caller's next call ended cancelled in every case where the cancellation fired: "+
			"a cancelled context stays cancelled, whatever the scope does with the failure")
}

// firingAPI is Task 1's API whose FetchUser fails at t=1 and cancels the caller in
// that same step.
type firingAPI struct {
	api
	o *outside
}

func (a firingAPI) FetchUser(ctx context.Context, id string) (scenario.User, error) {
	u, err := a.api.FetchUser(ctx, id)
	if err != nil {
		a.o.fire()
	}
	return u, err
}

// spawnReturnsFirst is unsupported: the property is an order Go leaves undefined.
func spawnReturnsFirst(m *Model, _ Bubble) Judgement {
	c := newCase("T2 body marks right after Spawn")
	c.Unsupported = "Go defines no order between a new goroutine's first statement and " +
		"the spawner's next one: the go statement is synchronized before the goroutine " +
		"starts (the memory model), and nothing after that; with more than one P the two " +
		"run in parallel. testing/synctest virtualises time, not the scheduler, so a check " +
		"could only report which goroutine the runtime happened to run first"
	return conclude(m, []*Case{c}, "")
}
