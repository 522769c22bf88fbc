package buggy

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// recorder is a goleak.TestingT that keeps what VerifyNone reports instead of failing,
// so that this test can check that goleak fails Buggy's test, and why.
type recorder struct{ errors []string }

func (r *recorder) Error(args ...any) { r.errors = append(r.errors, fmt.Sprint(args...)) }

// TestGoleakCatchesBuggy runs the seed's Task 4 test, `defer goleak.VerifyNone(t)`
// around Buggy(), and requires that goleak reports the goroutine blocked on the send.
// With $JOINERY_GO_LEAK_REPORT set it writes goleak's report there for the site.
//
// scenario: buggy
func TestGoleakCatchesBuggy(t *testing.T) {
	rec := &recorder{}
	func() {
		defer goleak.VerifyNone(rec, goleak.IgnoreCurrent())
		Buggy()
	}()
	if len(rec.errors) != 1 {
		t.Fatalf("goleak reported %d errors for Buggy(), want 1: %q", len(rec.errors), rec.errors)
	}
	report := rec.errors[0]
	for _, want := range []string{"found unexpected goroutines", "chan send", "joinery/buggy.Buggy.func1"} {
		if !strings.Contains(report, want) {
			t.Errorf("goleak's report lacks %q:\n%s", want, report)
		}
	}
	if path := os.Getenv("JOINERY_GO_LEAK_REPORT"); path != "" {
		text := "$ go test joinery/buggy   # defer goleak.VerifyNone(t); Buggy()\n" +
			"goleak.VerifyNone failed the test with:\n\n" + report + "\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoleakPassesTheFix shows the check is not vacuous the other way: a goroutine
// that is joined before the test ends is not reported.
func TestGoleakPassesTheFix(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // TestGoleakCatchesBuggy leaked one for good
	ch := make(chan int)
	go func() { ch <- 1 }()
	<-ch
}
