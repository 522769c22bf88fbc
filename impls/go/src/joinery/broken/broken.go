// Package broken is deliberately broken Go programs, one mistake each, so that every
// Go check is seen to fail at least once (joinery/conformance judges them as mutants,
// the Go side of joinery.conformance.broken). Each differs from joinery/solutions in
// the one place its comment names.
package broken

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// FetchAllUnbounded forgets SetLimit: every url is in flight at once.
func FetchAllUnbounded(ctx context.Context, fetch scenario.Fetch, urls []string, limit int) ([]string, error) {
	g, gctx := errgroup.WithContext(ctx)
	results := make([]string, len(urls))
	for i, u := range urls {
		g.Go(func() (err error) { results[i], err = fetch(gctx, u); return })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// FetchAllUnordered appends each result when it arrives: completion order.
func FetchAllUnordered(ctx context.Context, fetch scenario.Fetch, urls []string, limit int) ([]string, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	var mu sync.Mutex
	var results []string
	for _, u := range urls {
		g.Go(func() error {
			r, err := fetch(gctx, u)
			mu.Lock()
			defer mu.Unlock()
			results = append(results, r)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// RunSheddedOverrun counts a job TryGo refused as dropped, then runs it anyway.
func RunSheddedOverrun(ctx context.Context, jobs []scenario.Work, limit int) (accepted, dropped int) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	var late sync.WaitGroup
	for _, job := range jobs {
		if g.TryGo(func() error { return job(gctx) }) {
			accepted++
			continue
		}
		dropped++
		late.Add(1)
		go func() { defer late.Done(); _ = job(ctx) }()
	}
	_ = g.Wait()
	late.Wait()
	return accepted, dropped
}

// scope is Task 2's scope (joinery/solutions.Scope, without its closed state) with
// one of four mistakes switched on.
type scope struct {
	g         *errgroup.Group
	ctx       context.Context
	noStack   bool       // a child's panic becomes an error without the stack
	detach    bool       // children get context.Background(): nothing can cancel them
	bodyWaits bool       // an error in the body cancels nothing: Wait lets the children finish
	first     chan error // non-nil: Run returns the first error at once, joining nobody
}

func (s *scope) Spawn(fn scenario.Work) error {
	s.g.Go(func() (err error) {
		defer func() { // runs last, once a panic became err
			if err != nil && s.first != nil {
				select {
				case s.first <- err:
				default: // not the first
				}
			}
		}()
		defer func() {
			if r := recover(); r != nil {
				e, ok := r.(error)
				switch {
				case !ok:
					err = fmt.Errorf("scope: panic in child: %v\n%s", r, debug.Stack())
				case s.noStack:
					err = fmt.Errorf("scope: panic in child: %w", e)
				default:
					err = fmt.Errorf("scope: panic in child: %w\n%s", e, debug.Stack())
				}
			}
		}()
		if s.detach {
			return fn(context.Background())
		}
		return fn(s.ctx)
	})
	return nil
}

func run(ctx context.Context, body func(scenario.Spawner) error, s *scope) error {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(cctx)
	s.g, s.ctx = g, gctx
	bodyErr := body(s)
	if bodyErr != nil && !s.bodyWaits {
		cancel(bodyErr)
	}
	if s.first != nil {
		return s.returnFirst(bodyErr) // the deferred cancel stops the children; nobody waits
	}
	if err := g.Wait(); bodyErr == nil {
		return err
	}
	return bodyErr
}

// RunScopeBodyWaits is the shape of the seed's own reference Run: when the body fails
// it waits for the children without cancelling them.
func RunScopeBodyWaits(ctx context.Context, body func(scenario.Spawner) error) error {
	return run(ctx, body, &scope{bodyWaits: true})
}

// RunScopeNoStack turns a child's panic into an error and drops the stack.
func RunScopeNoStack(ctx context.Context, body func(scenario.Spawner) error) error {
	return run(ctx, body, &scope{noStack: true})
}

// RunScopeDetached hands children a context nobody cancels.
func RunScopeDetached(ctx context.Context, body func(scenario.Spawner) error) error {
	return run(ctx, body, &scope{detach: true})
}

// returnFirst is the mistake of RunScopeReturnsFirst: the first error ends Run at once.
func (s *scope) returnFirst(bodyErr error) error {
	if bodyErr != nil {
		return bodyErr
	}
	done := make(chan error, 1)
	go func() { done <- s.g.Wait() }()
	select {
	case err := <-s.first:
		return err
	case err := <-done:
		return err
	}
}

// RunScopeReturnsFirst returns the first error as soon as it is seen (the "first error
// wins" select over a channel): the other children are cancelled, but Run returns while
// they are still cleaning up, so the caller runs on during the scope's failure handling.
func RunScopeReturnsFirst(ctx context.Context, body func(scenario.Spawner) error) error {
	return run(ctx, body, &scope{first: make(chan error, 1)})
}
