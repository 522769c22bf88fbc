// Package solutions is joinery's own Go answers to the seed's Tasks 1-9, built on
// golang.org/x/sync/errgroup. The conformance checks in joinery/conformance judge them
// as the model "errgroup" (backend "go"), from outside, through fake services.
package solutions
