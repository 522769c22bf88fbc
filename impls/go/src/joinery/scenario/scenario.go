// Package scenario holds the types the seed's tasks share, so that every Go program
// of a task (our solutions, the seed's given code) has the same signature and the
// conformance checks can drive any of them: the Go side of joinery.models._protocol.
package scenario

import "context"

// User, Post and Stats are what Task 1's three fetches return.
type (
	User  = any
	Post  = any
	Stats = any
)

// Dashboard is Task 1's result.
type Dashboard struct {
	User  User
	Posts Post
	Stats Stats
}

// DashboardAPI is Task 1's three services.
type DashboardAPI interface {
	FetchUser(ctx context.Context, userID string) (User, error)
	FetchPosts(ctx context.Context, userID string) (Post, error)
	FetchStats(ctx context.Context, userID string) (Stats, error)
}

// Work is a unit of work that honours its context: Go cannot stop a goroutine from
// outside, so cancellation is a request the work reads from ctx.
type Work = func(ctx context.Context) error

// Fetch is Task 3's call for one URL.
type Fetch = func(ctx context.Context, url string) (string, error)

// Spawner is what Task 2's scope hands its body.
type Spawner interface {
	// Spawn starts fn as a child of the scope; it returns an error, and starts
	// nothing, when the scope no longer accepts children.
	Spawn(fn Work) error
}

// Stopper is Task 8's daemon handle.
type Stopper interface {
	// Stop asks the daemon to end and returns once it has; it returns the error
	// that ended the daemon, if one did.
	Stop() error
}
