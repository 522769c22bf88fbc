package conformance

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// TestConformance judges every selected model by every property and appends to
// $JOINERY_GO_RESULTS (when set) one JSON line with each model's card, then one per
// verdict. A verdict is not a test
// failure: the seed's given programs are meant to fail, and the declared table is
// compared by python -m joinery.gorow. The test fails only when a check itself breaks
// (a panic, a deadlocked bubble).
//
// $JOINERY_GO_MODELS picks models (comma-separated; default all); $JOINERY_GO_LABEL
// renames the errgroup model in the output (the x/sync version it was built against).
func TestConformance(t *testing.T) {
	names := Order
	if env := os.Getenv("JOINERY_GO_MODELS"); env != "" {
		names = strings.Split(env, ",")
	}
	var out *os.File
	if path := os.Getenv("JOINERY_GO_RESULTS"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out = f
	}
	var mu sync.Mutex
	for _, name := range names {
		m, ok := Models[name]
		if !ok {
			t.Fatalf("unknown Go model %q", name)
		}
		label := m.Name
		if l := os.Getenv("JOINERY_GO_LABEL"); l != "" && m == Errgroup {
			label = l
		}
		if out != nil {
			line, err := json.Marshal(map[string]any{"model": label, "card": m.Card()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := out.Write(append(line, '\n')); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range Checks {
			t.Run(label+"/"+c.ID, func(t *testing.T) {
				bubble := func(experiment func()) {
					synctest.Test(t, func(*testing.T) { experiment() })
				}
				j := c.Check(m, bubble)
				t.Logf("%s: %s", j.Verdict, j.Summary)
				if out == nil {
					return
				}
				line, err := json.Marshal(map[string]any{
					"model": label, "property": c.ID, "verdict": j.Verdict,
					"summary": j.Summary, "evidence": j.Evidence,
				})
				if err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if _, err := out.Write(append(line, '\n')); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
