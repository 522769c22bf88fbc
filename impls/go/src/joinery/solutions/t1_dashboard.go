package solutions

import (
	"context"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// LoadDashboard fetches the three parts at once and returns when the last one is in.
// The first failure cancels gctx, which the other two fetches read, and Wait returns
// that failure only after every fetch has returned: nothing outlives the call.
//
// scenario: load_dashboard
func LoadDashboard(ctx context.Context, api scenario.DashboardAPI, userID string) (scenario.Dashboard, error) {
	g, gctx := errgroup.WithContext(ctx)
	var d scenario.Dashboard
	// Each goroutine writes its own field; Wait orders the writes before the read.
	g.Go(func() (err error) { d.User, err = api.FetchUser(gctx, userID); return })
	g.Go(func() (err error) { d.Posts, err = api.FetchPosts(gctx, userID); return })
	g.Go(func() (err error) { d.Stats, err = api.FetchStats(gctx, userID); return })
	if err := g.Wait(); err != nil {
		return scenario.Dashboard{}, err
	}
	return d, nil
}
