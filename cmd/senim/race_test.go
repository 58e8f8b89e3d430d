//go:build race

package main

// raceEnabled: the test binary runs under the race detector, and so do the senim
// processes the multi-node test builds (their packages are then in the build cache).
const raceEnabled = true
