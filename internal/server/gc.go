package server

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGCPercent is the garbage collector's growth target (GOGC) that senim serve
// sets when neither --gc-percent nor GOGC says otherwise. Go's own default, 100, starts
// a collection whenever the heap has doubled; a server whose live heap is tens of
// megabytes then collects many times a second under load: at 400 a read confirmation
// over the cabinet's HTTP cost ≈ 15 % less CPU than at 100. At 400 the heap
// may grow to five times what is live before a collection (≈ 75 MB instead of 52 MB at
// the peak of that benchmark); --memory-limit bounds it where memory is tight
// (docs/performance.md, "The garbage collector's target").
const DefaultGCPercent = 400

// GC is the garbage collector's configuration of senim serve, as its flags give it.
type GC struct {
	// Percent is GOGC: a whole number of at least 1, or "off" (only with a memory
	// limit). Empty: GOGC from the environment when it is set (the Go runtime has
	// applied it), else DefaultGCPercent.
	Percent string
	// MemoryLimit is the runtime's soft memory limit (GOMEMLIMIT): bytes, with an
	// optional B, KiB, MiB, GiB or TiB suffix. Empty: GOMEMLIMIT from the
	// environment when it is set, else none.
	MemoryLimit string
}

// Apply checks g and sets the collector; it changes nothing when g is wrong. getenv
// reads the environment (os.Getenv). It returns the growth target that applies (-1:
// off) and the memory limit (math.MaxInt64: none).
func (g GC) Apply(getenv func(string) string) (percent int, limit int64, err error) {
	percent, limit = -2, -1 // -2, -1: leave as the runtime has them
	switch p := strings.TrimSpace(g.Percent); {
	case p == "" && getenv("GOGC") == "":
		percent = DefaultGCPercent
	case p == "":
	case p == "off":
		percent = -1
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("--gc-percent %q: a whole number of at least 1, or off", g.Percent)
		}
		percent = n
	}
	if strings.TrimSpace(g.MemoryLimit) != "" {
		if limit, err = ParseBytes(g.MemoryLimit); err != nil {
			return 0, 0, fmt.Errorf("--memory-limit: %w", err)
		}
	}
	if percent == -1 && limit < 0 && getenv("GOMEMLIMIT") == "" {
		return 0, 0, errors.New("--gc-percent off needs a memory limit (--memory-limit or GOMEMLIMIT): the heap would grow without bound")
	}
	if limit >= 0 {
		debug.SetMemoryLimit(limit)
	}
	if percent != -2 {
		debug.SetGCPercent(percent)
	}
	current := debug.SetGCPercent(-1)
	debug.SetGCPercent(current)
	return current, debug.SetMemoryLimit(-1), nil
}

// ParseBytes parses a size as GOMEMLIMIT writes it: a whole number of bytes with an
// optional suffix B, KiB, MiB, GiB or TiB ("512MiB", "2GiB", "1073741824").
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := int64(1)
	switch s[len(num):] {
	case "", "B":
	case "KiB":
		unit = 1 << 10
	case "MiB":
		unit = 1 << 20
	case "GiB":
		unit = 1 << 30
	case "TiB":
		unit = 1 << 40
	default:
		return 0, fmt.Errorf("%q: bytes with an optional suffix B, KiB, MiB, GiB or TiB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q: bytes with an optional suffix B, KiB, MiB, GiB or TiB", s)
	}
	return n * unit, nil
}
