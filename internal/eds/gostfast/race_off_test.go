//go:build !race

package gostfast

const raceEnabled = false
