package solutions

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// ErrScopeClosed is what Spawn returns once the scope no longer takes children.
var ErrScopeClosed = errors.New("scope: Spawn after the scope was cancelled or joined")

// Scope is a structured-concurrency scope on top of errgroup: every child spawned in
// it is joined before Run returns.
//
// scenario: run_scope
type Scope struct {
	g      *errgroup.Group
	ctx    context.Context
	cancel context.CancelCauseFunc

	// mu guards the three fields below. A Spawn that raced the final Wait could add
	// to the WaitGroup after Wait returned (Task 6's bug): spawning is only allowed
	// while the body runs or a child is alive, so Wait cannot have returned yet.
	mu      sync.Mutex
	active  int
	closing bool // the body has returned; Run is waiting for the children
	done    bool // no child is alive and none may start
}

// Run runs body in a fresh scope and joins every child before it returns. The error
// is the first one seen: the body's, a child's, or a child's panic with its stack.
// An error in the body cancels the children (errgroup alone would wait for them).
//
// scenario: run_scope
func Run(ctx context.Context, body func(s *Scope) error) error {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(cctx)
	s := &Scope{g: g, ctx: gctx, cancel: cancel}
	bodyErr := body(s)
	if bodyErr != nil {
		cancel(bodyErr)
	}
	s.mu.Lock()
	s.closing = true
	s.done = s.active == 0
	s.mu.Unlock()
	waitErr := g.Wait()
	if bodyErr != nil {
		return bodyErr
	}
	return waitErr
}

// Spawn starts fn as a child of the scope, with the scope's context. It returns
// ErrScopeClosed, and starts nothing, once the scope is cancelled or joined.
//
// scenario: run_scope
func (s *Scope) Spawn(fn scenario.Work) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.ctx.Err() != nil {
		return ErrScopeClosed
	}
	s.active++
	s.g.Go(func() (err error) {
		defer s.childEnded()
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); ok { // keep it for errors.Is / errors.As
					err = fmt.Errorf("scope: panic in child: %w\n%s", e, debug.Stack())
				} else {
					err = fmt.Errorf("scope: panic in child: %v\n%s", r, debug.Stack())
				}
			}
		}()
		return fn(s.ctx)
	})
	return nil
}

func (s *Scope) childEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.closing && s.active == 0 {
		s.done = true
	}
}
