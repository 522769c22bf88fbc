// Package conformance judges Go programs by the properties of joinery's conformance
// suite (impls/joinery/conformance/properties.toml), from outside, through the fake
// services of joinery/fakes on a synctest bubble's virtual clock. Its test writes one
// JSON line per (model, property); python -m joinery.gorow turns them into a results
// document.
package conformance

import (
	"context"
	"time"

	"joinery/broken"
	"joinery/scenario"
	"joinery/seedgiven"
	"joinery/solutions"
)

// Model is one Go program per scenario of the adapter protocol; a nil function is a
// scenario the model cannot express, with its reason in Unsupported.
type Model struct {
	Name        string
	Title       string
	Summary     string
	Kind        string            // "reference", or "control" for a program meant to fail
	Module      string            // the import path of the package the scenarios live in
	Source      string            // the package directory, relative to the repository
	Unsupported map[string]string // scenario -> why the model cannot express it

	LoadDashboard func(ctx context.Context, api scenario.DashboardAPI, userID string) (scenario.Dashboard, error)
	RunScope      func(ctx context.Context, body func(s scenario.Spawner) error) error
	WaitThenSpawn func(work func() error) error
	SpawnThenWait func(work func() error) error
	FetchAll      func(ctx context.Context, fetch scenario.Fetch, urls []string, limit int) ([]string, error)
	RunShedded    func(ctx context.Context, jobs []scenario.Work, limit int) (accepted, dropped int)
	CauseOfCancel func(ctx context.Context, fail, wait scenario.Work, report func(error)) error
	Flusher       func(interval time.Duration, flush scenario.Work) scenario.Stopper
	CheckAll      func(ctx context.Context, checks []scenario.Work) error
}

// Errgroup is joinery's own solutions on golang.org/x/sync/errgroup.
var Errgroup = &Model{
	Name:  "errgroup",
	Title: "errgroup (our solutions)",
	Summary: "Our Go answers to Tasks 1-9 on golang.org/x/sync/errgroup: WithContext " +
		"fan-out, a Scope wrapper, SetLimit, TryGo, context.Cause, a joinable flusher, " +
		"an aggregator that joins every error. Compiled offline in GOPATH mode; judged " +
		"by the suite's checks written in Go on testing/synctest's virtual clock.",
	Kind:        "reference",
	Module:      "joinery/solutions",
	Source:      "impls/go/src/joinery/solutions",
	Unsupported: map[string]string{},

	LoadDashboard: solutions.LoadDashboard,
	RunScope: func(ctx context.Context, body func(scenario.Spawner) error) error {
		return solutions.Run(ctx, func(s *solutions.Scope) error { return body(s) })
	},
	WaitThenSpawn: solutions.RunBad,
	SpawnThenWait: solutions.RunGood,
	FetchAll:      solutions.FetchAll,
	RunShedded:    solutions.RunShedded,
	CauseOfCancel: solutions.CauseOfCancel,
	Flusher: func(interval time.Duration, flush scenario.Work) scenario.Stopper {
		return solutions.StartFlusher(interval, flush)
	},
	CheckAll: solutions.CheckAll,
}

const noProgram = "the seed gives no broken program for this task, only a reference solution"

// SeedGiven is the Go control: the seed's given programs, bugs included.
var SeedGiven = &Model{
	Name:  "seed_given",
	Title: "the seed's given programs (control)",
	Summary: "The control: the seed's given Go programs, bugs included (sleep-and-hope, " +
		"Wait before Go, an unstoppable flusher, a channel aggregator that keeps the " +
		"first error). The suite must catch every one.",
	Kind:   "control",
	Module: "joinery/seedgiven",
	Source: "impls/go/src/joinery/seedgiven",
	Unsupported: map[string]string{
		"run_scope":       noProgram,
		"fetch_all":       noProgram,
		"run_shedded":     noProgram,
		"cause_of_cancel": noProgram,
	},

	LoadDashboard: seedgiven.LoadDashboard,
	WaitThenSpawn: seedgiven.RunBad,
	SpawnThenWait: seedgiven.RunGood,
	Flusher: func(interval time.Duration, flush scenario.Work) scenario.Stopper {
		// The given flush() returns nothing: an error it meets is dropped right here.
		seedgiven.StartFlusher(interval, func() { _ = flush(context.Background()) })
		return unstoppable{}
	},
	CheckAll: seedgiven.CheckAll,
}

// unstoppable is the handle the given StartFlusher does not return: Stop does nothing.
type unstoppable struct{}

func (unstoppable) Stop() error { return nil }

// Card is the model's card in the results format.
func (m *Model) Card() map[string]any {
	return map[string]any{
		"title": m.Title, "summary": m.Summary, "kind": m.Kind, "module": m.Module,
		"source": m.Source, "unsupported": m.Unsupported,
	}
}

// mutant is the errgroup model with one scenario replaced by a broken program.
func mutant(name, mistake string, change func(m *Model)) *Model {
	m := *Errgroup
	m.Name, m.Kind, m.Module, m.Source = name, "mutant", "joinery/broken", "impls/go/src/joinery/broken"
	m.Title = name + " (Go)"
	m.Summary = "A deliberately broken copy of the errgroup solutions: " + mistake + "."
	change(&m)
	return &m
}

// Mutants prove that the Go checks the controls cannot fail can fail.
var Mutants = []*Model{
	mutant("broken_unbounded", "fetch_all forgets SetLimit", func(m *Model) { m.FetchAll = broken.FetchAllUnbounded }),
	mutant("broken_unordered", "fetch_all returns results in completion order", func(m *Model) { m.FetchAll = broken.FetchAllUnordered }),
	mutant("broken_shed_overrun", "run_shedded runs the jobs it reports as dropped", func(m *Model) { m.RunShedded = broken.RunSheddedOverrun }),
	mutant("broken_no_traceback", "the scope drops a child panic's stack", func(m *Model) { m.RunScope = broken.RunScopeNoStack }),
	mutant("broken_body_waits", "the scope lets the children finish when the body fails (the seed's reference Run)", func(m *Model) { m.RunScope = broken.RunScopeBodyWaits }),
	mutant("broken_detached", "the scope gives children a context nobody cancels", func(m *Model) { m.RunScope = broken.RunScopeDetached }),
	mutant("broken_returns_first", "the scope returns the first error at once, while the other children still clean up", func(m *Model) { m.RunScope = broken.RunScopeReturnsFirst }),
}

// Models is every Go model, by name; Order is the order they are judged in.
var (
	Models = map[string]*Model{}
	Order  []string
)

func init() {
	for _, m := range append([]*Model{Errgroup, SeedGiven}, Mutants...) {
		Models[m.Name] = m
		Order = append(Order, m.Name)
	}
}
