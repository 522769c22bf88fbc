package solutions

import "golang.org/x/sync/errgroup"

// RunBad is Task 6's bug written with errgroup, kept to show what errgroup does with
// it: Wait returns at once (nothing was started) and the Go after it starts work
// that nobody will ever join. errgroup.Group has no "closed" state to refuse it.
//
// scenario: wait_then_spawn
func RunBad(work func() error) error {
	var g errgroup.Group
	err := g.Wait()
	g.Go(work)
	return err
}

// RunGood is the fix: every Go precedes the Wait that joins it.
//
// scenario: spawn_then_wait
func RunGood(work func() error) error {
	var g errgroup.Group
	g.Go(work)
	return g.Wait()
}
