//go:build race

package gostfast

// raceEnabled: the race detector slows math/big about tenfold and finds nothing in
// single-goroutine arithmetic, so the differential runs scale down under it (the plain
// `go test` run keeps the full counts).
const raceEnabled = true
