package solutions

import (
	"context"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// RunShedded offers every job to a pool of limit workers without waiting: a job that
// finds every worker busy is dropped and counted. It returns once the accepted ones
// are done.
//
// scenario: run_shedded
func RunShedded(ctx context.Context, jobs []scenario.Work, limit int) (accepted, dropped int) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, job := range jobs {
		if g.TryGo(func() error { return job(gctx) }) {
			accepted++
		} else {
			dropped++
		}
	}
	_ = g.Wait() // the counts are the result; a job's error is the job's business
	return accepted, dropped
}
