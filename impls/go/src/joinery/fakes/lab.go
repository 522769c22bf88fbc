// Package fakes is the Go counterpart of joinery.harness: instrumented fake services
// that record when each call started, when it ended and how (ok, error, cancelled),
// read from outside the code under test.
//
// Run a Lab inside a testing/synctest bubble: time.Sleep and timers then run on the
// bubble's virtual clock, which only moves when every goroutine in the bubble is
// blocked, so the same experiment gives the same times on any machine, however loaded.
// Outside a bubble the times are wall-clock times and nothing here is deterministic.
package fakes

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Script says how one call to a fake service behaves.
type Script struct {
	Latency time.Duration // how long the call takes unless its context is cancelled first
	Result  any           // returned when the call ends normally
	Err     error         // returned (or panicked with, see Panic) at the end of the call
	Panic   bool          // panic with Err instead of returning it
}

// Ok is a call that takes latency seconds and returns result.
func Ok(latency float64, result any) Script {
	return Script{Latency: Seconds(latency), Result: result}
}

// Fail is a call that takes latency seconds and returns err.
func Fail(latency float64, err error) Script {
	return Script{Latency: Seconds(latency), Err: err}
}

// Seconds converts virtual seconds to a duration.
func Seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Failure is an error with an identity: the checks compare the object that reached the
// caller with the one the service returned, by pointer, as Python's checks use `is`.
type Failure struct{ What string }

func (f *Failure) Error() string { return f.What }

// Call is the record of one call, as the service saw it.
type Call struct {
	Service  string
	Key      string
	Started  float64 // virtual seconds since the lab started
	Ended    float64 // -1 while open
	Ending   string  // "ok", "error", "panic", "cancelled" or "open"
	Err      error
	seqStart int
	seqEnd   int
}

// JSON is the call as evidence (no sequence numbers: they may differ between runs
// for events at the same virtual instant).
func (c *Call) JSON() map[string]any {
	out := map[string]any{"service": c.Service, "key": c.Key, "started": c.Started, "ending": c.Ending}
	if c.Ending != "open" {
		out["ended"] = c.Ended
	}
	if c.Err != nil {
		out["error"] = c.Err.Error()
	}
	return out
}

// Lab owns the clock origin, the event sequence and every service's journal.
type Lab struct {
	mu          sync.Mutex
	origin      time.Time
	seq         int
	calls       []*Call
	inFlight    int
	maxInFlight int
	closed      bool
}

// NewLab starts a lab at the current (virtual) instant.
func NewLab() *Lab { return &Lab{origin: time.Now()} }

// Now is the lab's clock: seconds since it started.
func (l *Lab) Now() float64 { return time.Since(l.origin).Seconds() }

// Mark records an instant in the event order and returns its sequence number.
func (l *Lab) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

// Close ends the experiment. A goroutine that calls a service afterwards is an orphan
// the code under test never joined (the seed's flusher ticks for ever): it is ended
// with runtime.Goexit so that the synctest bubble can finish.
func (l *Lab) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}

// Service is one named fake service of the lab.
type Service struct {
	lab     *Lab
	name    string
	scripts map[string]Script
	def     *Script
}

// Service makes a fake service; a key without a script uses def (nil: an error).
func (l *Lab) Service(name string, scripts map[string]Script, def *Script) *Service {
	return &Service{lab: l, name: name, scripts: scripts, def: def}
}

// Call performs the scripted call for key: it lasts its latency unless ctx is
// cancelled first. When the scripted end and the cancellation fall on the same virtual
// instant the script wins, so that the outcome never depends on which goroutine the
// scheduler wakes first.
func (s *Service) Call(ctx context.Context, key string) (any, error) {
	script, ok := s.scripts[key]
	if !ok {
		if s.def == nil {
			panic(fmt.Sprintf("fakes: service %q has no script for key %q", s.name, key))
		}
		script = *s.def
	}
	l := s.lab
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		runtime.Goexit()
	}
	l.seq++
	c := &Call{Service: s.name, Key: key, Started: l.Now(), Ended: -1, Ending: "open", seqStart: l.seq}
	l.calls = append(l.calls, c)
	l.inFlight++
	if l.inFlight > l.maxInFlight {
		l.maxInFlight = l.inFlight
	}
	l.mu.Unlock()

	deadline := time.Now().Add(script.Latency)
	timer := time.NewTimer(script.Latency)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		if time.Now().Before(deadline) {
			s.end(c, "cancelled", ctx.Err())
			return nil, ctx.Err()
		}
	}
	switch {
	case script.Err != nil && script.Panic:
		s.end(c, "panic", script.Err)
		panic(script.Err)
	case script.Err != nil:
		s.end(c, "error", script.Err)
		return nil, script.Err
	}
	s.end(c, "ok", nil)
	return script.Result, nil
}

func (s *Service) end(c *Call, ending string, err error) {
	l := s.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	c.Ended, c.Ending, c.Err, c.seqEnd = l.Now(), ending, err, l.seq
	l.inFlight--
}

// Calls is a snapshot of every call so far, by start time then key: calls started at
// the same virtual instant come in whichever order the scheduler ran them, and no
// evidence may depend on that.
func (l *Lab) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Call, len(l.calls))
	for i, c := range l.calls {
		out[i] = *c
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Started != out[j].Started {
			return out[i].Started < out[j].Started
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// ByKey is the calls made with key.
func (l *Lab) ByKey(key string) []Call {
	var out []Call
	for _, c := range l.Calls() {
		if c.Key == key {
			out = append(out, c)
		}
	}
	return out
}

// MaxInFlight is the most calls that were open at once.
func (l *Lab) MaxInFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxInFlight
}

// ActiveAfter is every call that started or ended after the event seq, or is still
// open: work that ran after the point the caller believed everything was done.
func (l *Lab) ActiveAfter(seq int) []Call {
	var out []Call
	for _, c := range l.Calls() {
		if c.Ending == "open" || c.seqStart > seq || c.seqEnd > seq {
			out = append(out, c)
		}
	}
	return out
}

// Open is every call still open.
func (l *Lab) Open() []Call {
	var out []Call
	for _, c := range l.Calls() {
		if c.Ending == "open" {
			out = append(out, c)
		}
	}
	return out
}

// CallsJSON is calls as evidence.
func CallsJSON(calls []Call) []map[string]any {
	out := make([]map[string]any, 0, len(calls))
	for i := range calls {
		out = append(out, calls[i].JSON())
	}
	return out
}

// Outcome is what the caller of a scenario saw.
type Outcome struct {
	Err     error
	Value   any
	EndedAt float64
	EndSeq  int
	Hung    bool
}

// Returned is true when the scenario ended without an error and did not hang.
func (o Outcome) Returned() bool { return o.Err == nil && !o.Hung }

// HangAfter is how long Observe waits for a scenario before calling it hung.
const HangAfter = 1000 * time.Second

// Observe runs fn in its own goroutine and records when and how it ended. A scenario
// still running after HangAfter (virtual) is recorded as hung and left behind.
func (l *Lab) Observe(fn func() (any, error)) Outcome {
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return Outcome{Err: r.err, Value: r.v, EndedAt: l.Now(), EndSeq: l.Mark()}
	case <-time.After(HangAfter):
		return Outcome{EndedAt: l.Now(), EndSeq: l.Mark(), Hung: true}
	}
}

// JSON is the outcome as evidence.
func (o Outcome) JSON() map[string]any {
	out := map[string]any{"ended_at": o.EndedAt, "hung": o.Hung}
	if o.Err != nil {
		// The first line: a panic's stack names goroutine ids that differ between runs.
		first, _, _ := strings.Cut(o.Err.Error(), "\n")
		out["raised"] = first
	} else if !o.Hung {
		out["returned"] = fmt.Sprintf("%v", o.Value)
	}
	return out
}

// EndedAfter reports whether call ended after the event seq (or has not ended).
func (l *Lab) EndedAfter(call Call, seq int) bool {
	return call.Ending == "open" || call.seqEnd > seq
}
