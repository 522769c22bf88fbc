package conformance

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"joinery/fakes"
)

// Judgement is what a check concluded about one model: the results format's verdict,
// summary and evidence.
type Judgement struct {
	Verdict  string         `json:"verdict"` // pass, fail or unsupported
	Summary  string         `json:"summary"`
	Evidence map[string]any `json:"evidence"`
}

// Case is one case of a check: its observations and whether it held.
type Case struct {
	Name        string
	Problems    []string
	Observed    map[string]any
	Unsupported string
}

func newCase(name string) *Case { return &Case{Name: name, Observed: map[string]any{}} }

// Require records problem unless ok.
func (c *Case) Require(ok bool, format string, args ...any) {
	if !ok {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	}
}

// Note records an observation.
func (c *Case) Note(key string, value any) { c.Observed[key] = value }

func (c *Case) json() map[string]any {
	out := map[string]any{"held": len(c.Problems) == 0, "problems": append([]string{}, c.Problems...)}
	for k, v := range c.Observed {
		out[k] = v
	}
	if c.Unsupported != "" {
		out["unsupported"] = c.Unsupported
	}
	return out
}

// conclude: unsupported when no case could run, pass when every case held, otherwise
// fail with the first problem as the summary.
func conclude(model *Model, cases []*Case, passed string) Judgement {
	evidence := map[string]any{}
	var supported []*Case
	var reasons []string
	for _, c := range cases {
		evidence[c.Name] = c.json()
		if c.Unsupported == "" {
			supported = append(supported, c)
		} else {
			reasons = append(reasons, c.Unsupported)
		}
	}
	if len(supported) == 0 {
		sort.Strings(reasons)
		return Judgement{"unsupported", model.Name + " cannot express it: " + strings.Join(dedupe(reasons), "; "), evidence}
	}
	total := 0
	var first *Case
	for _, c := range supported {
		total += len(c.Problems)
		if first == nil && len(c.Problems) > 0 {
			first = c
		}
	}
	if first == nil {
		return Judgement{"pass", passed, evidence}
	}
	summary := first.Name + ": " + first.Problems[0]
	if total > 1 {
		summary += fmt.Sprintf(" (+%d more)", total-1)
	}
	return Judgement{"fail", summary, evidence}
}

func dedupe(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// firstLine is an error's first line: a panic's stack would make evidence differ from
// run to run (goroutine ids), and the checks look at the stack themselves.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// is reports whether target, by identity, is err or is wrapped or joined in it.
func is(err error, target *fakes.Failure) bool { return errors.Is(err, target) }
