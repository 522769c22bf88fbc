package solutions

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"joinery/scenario"
)

// CheckAll runs every check to its end and returns all their errors, joined.
// errgroup's own error is the first one only, and WithContext would cancel the other
// checks at the first failure: an aggregator wants neither, so each goroutine keeps
// its error in its own slot and the group is used only to join.
//
// scenario: check_all
func CheckAll(ctx context.Context, checks []scenario.Work) error {
	var g errgroup.Group
	errs := make([]error, len(checks))
	for i, check := range checks {
		g.Go(func() error {
			errs[i] = check(ctx)
			return nil
		})
	}
	_ = g.Wait() // always nil: the errors are in errs
	return errors.Join(errs...)
}
