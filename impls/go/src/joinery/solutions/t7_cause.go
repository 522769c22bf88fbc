package solutions

import (
	"context"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// CauseOfCancel runs fail and wait side by side; when fail's error cancels the group,
// wait's goroutine reports context.Cause(gctx), the error that cancelled it. Since
// x/sync v0.2.0 errgroup.WithContext cancels with that error as the cause; before, the
// cause is only context.Canceled.
//
// scenario: cause_of_cancel
func CauseOfCancel(ctx context.Context, fail, wait scenario.Work, report func(error)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return fail(gctx) })
	g.Go(func() error {
		err := wait(gctx)
		if gctx.Err() != nil {
			report(context.Cause(gctx))
		}
		return err
	})
	return g.Wait()
}
