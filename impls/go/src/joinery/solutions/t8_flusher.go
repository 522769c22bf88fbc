package solutions

import (
	"context"
	"errors"
	"sync"
	"time"

	"joinery/scenario"
)

// Flusher is a daemon that flushes every interval until Stop. errgroup does not fit a
// daemon (nothing waits for it in the caller's frame), but it still has an owner that
// joins it: Stop returns only after the loop has exited.
//
// scenario: flusher
type Flusher struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	err    error // the flush error that ended the loop; read after wg.Wait
}

// StartFlusher starts the daemon. A flush that fails ends it; Stop returns that error,
// so a failure is never lost in a goroutine nobody reads.
//
// scenario: flusher
func StartFlusher(interval time.Duration, flush scenario.Work) *Flusher {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Flusher{cancel: cancel}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := flush(ctx); err != nil {
					if !errors.Is(err, context.Canceled) || ctx.Err() == nil {
						f.err = err // a real failure, not the flush cut short by Stop
					}
					return
				}
			}
		}
	}()
	return f
}

// Stop cancels the loop (and a flush in progress), waits until the goroutine has
// exited and returns the flush error that ended it, if any. Calling it again is
// harmless and returns the same error.
//
// scenario: flusher
func (f *Flusher) Stop() error {
	f.cancel()
	f.wg.Wait()
	return f.err
}

var _ scenario.Stopper = (*Flusher)(nil)
