// Package buggy is Task 4's function with a leak: Buggy starts a goroutine that sends
// on a channel nobody reads, so the goroutine blocks for ever after Buggy returned.
package buggy

// Buggy leaks one goroutine per call.
//
// scenario: buggy
func Buggy() {
	ch := make(chan int) // unbuffered, and nobody will ever receive from it
	go func() { ch <- 1 }()
}
