// Package seedgiven is the Go control: the programs the seed gives as broken, written
// again here bugs and all (sleep-and-hope, Wait before Go, a flusher nobody can stop,
// a channel aggregator that keeps the first error). The conformance checks must see
// each of them fail where the seed says they break. Tasks 2, 3, 5 and 7 give no
// broken program, only reference solutions, so they have no entry here.
package seedgiven

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// LoadDashboard starts the three fetches with bare go statements and sleeps two
// seconds, hoping they are done by then.
//
// scenario: load_dashboard
func LoadDashboard(ctx context.Context, api scenario.DashboardAPI, userID string) (scenario.Dashboard, error) {
	var (
		mu                 sync.Mutex // not in the given code: without it -race stops at the data race
		user, posts, stats any
		err1, err2, err3   error
	)
	go func() { u, e := api.FetchUser(ctx, userID); mu.Lock(); user, err1 = u, e; mu.Unlock() }()
	go func() { p, e := api.FetchPosts(ctx, userID); mu.Lock(); posts, err2 = p, e; mu.Unlock() }()
	go func() { s, e := api.FetchStats(ctx, userID); mu.Lock(); stats, err3 = s, e; mu.Unlock() }()
	time.Sleep(2 * time.Second) // hope they're done

	mu.Lock()
	defer mu.Unlock()
	if err1 != nil {
		return scenario.Dashboard{}, err1
	}
	if err2 != nil {
		return scenario.Dashboard{}, err2
	}
	if err3 != nil {
		return scenario.Dashboard{}, err3
	}
	return scenario.Dashboard{User: user, Posts: posts, Stats: stats}, nil
}

// RunBad calls Wait before Go: Wait returns at once and the work is an orphan.
//
// scenario: wait_then_spawn
func RunBad(work func() error) error {
	var g errgroup.Group
	err := g.Wait() // wg is at 0; returns immediately
	g.Go(work)      // adds 1 to wg after Wait already returned
	return err
}

// RunGood is the seed's own fix: Go, then Wait.
//
// scenario: spawn_then_wait
func RunGood(work func() error) error {
	var g errgroup.Group
	g.Go(work)
	return g.Wait()
}

// StartFlusher is the daemon as given: a goroutine that flushes on every tick, for
// ever, with nothing to stop it, join it or hear about its errors.
//
// scenario: flusher
func StartFlusher(d time.Duration, flush func()) {
	go func() {
		for range time.Tick(d) {
			flush()
		}
	}()
}

// CheckAll is the hand-written aggregator Task 9 asks to replace: a buffered error
// channel, a WaitGroup, and the first error returned.
//
// scenario: check_all
func CheckAll(ctx context.Context, checks []scenario.Work) error {
	errCh := make(chan error, len(checks))
	var wg sync.WaitGroup
	for _, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errCh <- check(ctx)
		}()
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		if err != nil {
			return err // the first error wins; the others are dropped
		}
	}
	return nil
}
