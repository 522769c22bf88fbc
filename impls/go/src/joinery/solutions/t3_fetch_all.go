package solutions

import (
	"context"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// FetchAll fetches every url with at most limit requests in flight and returns the
// results in input order, or the first error. Once a fetch failed (or ctx ended) no
// new fetch starts: the loop would otherwise start the rest only to cancel them.
//
// scenario: fetch_all
func FetchAll(ctx context.Context, fetch scenario.Fetch, urls []string, limit int) ([]string, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit) // Go blocks while limit goroutines are running
	results := make([]string, len(urls))
	launched := 0
	for i, u := range urls {
		if gctx.Err() != nil {
			break
		}
		launched++
		g.Go(func() (err error) {
			results[i], err = fetch(gctx, u) // each goroutine owns one index
			return
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if launched < len(urls) { // ctx ended between two launches: some urls never ran
		return nil, ctx.Err()
	}
	return results, nil
}
