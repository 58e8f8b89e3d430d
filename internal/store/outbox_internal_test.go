package store

import "testing"

func TestParseSnapshot(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		xmax uint64
		xip  int
	}{
		{"10:20:12,15", true, 20, 2},
		{"10:10:", true, 10, 0},
		{"", false, 0, 0},
		{"10:20", false, 0, 0},
		{"10:x:", false, 0, 0},
		{"10:20:12,", false, 0, 0},
		{"-1:20:", false, 0, 0},
	} {
		s, err := parseSnapshot(tc.in)
		if (err == nil) != tc.ok || tc.ok && (s.xmax != tc.xmax || len(s.xip) != tc.xip) {
			t.Errorf("parseSnapshot(%q) = %+v, %v", tc.in, s, err)
		}
	}
}

func TestGapHoldSettled(t *testing.T) {
	// Held at xip {5, 8} and IDs [10, 13) (13 is the consumer's own).
	h := &gapHold{below: 100, xip: []uint64{5, 8}, from: 10, to: 13}
	for _, tc := range []struct {
		snap pgSnapshot
		want bool
	}{
		{pgSnapshot{xmin: 14, xmax: 14}, true},
		{pgSnapshot{xmin: 9, xmax: 20, xip: []uint64{9, 15}}, true}, // 9 was not running at the hold
		{pgSnapshot{xmin: 5, xmax: 20, xip: []uint64{5}}, false},
		{pgSnapshot{xmin: 11, xmax: 20, xip: []uint64{11}}, false}, // above the old xmax, still running
		{pgSnapshot{xmin: 12, xmax: 12}, false},                    // 12 counts as running
		{pgSnapshot{xmin: 13, xmax: 13}, true},
	} {
		if got := h.settled(tc.snap); got != tc.want {
			t.Errorf("settled(%+v) = %v, want %v", tc.snap, got, tc.want)
		}
	}
	if _, err := newGapHold(1, "10:20:", "15"); err == nil {
		t.Error("newGapHold accepted a transaction ID below the snapshot's xmax")
	}
}
