package store

import (
	"math/bits"
	"strings"
)

// RowsChunk bounds the rows of one multi-row statement that MultiRowChunk splits a
// batch into: 128 rows of up to a dozen parameters each stay well within both engines'
// limits (SQLite's 32,766 host parameters, PostgreSQL's 65,535).
const RowsChunk = 128

// MultiRowChunk is how many of rest rows the next multi-row statement takes:
// RowsChunk, then the largest power of two that fits. A batch of any size so uses one
// of eight statement texts, each parsed once and then cached on SQLite's writer
// (parsing a statement of a hundred rows cost as much as a tenth of the notification
// point's consumer when every batch's last chunk had a text of its own).
func MultiRowChunk(rest int) int {
	if rest >= RowsChunk {
		return RowsChunk
	}
	if rest <= 0 {
		return 0
	}
	return 1 << (bits.Len(uint(rest)) - 1)
}

// MultiRow is prefix, n copies of tuple separated by commas, and suffix: the text of a
// multi-row INSERT of n rows.
func MultiRow(prefix, tuple string, n int, suffix string) string {
	var q strings.Builder
	q.Grow(len(prefix) + n*(len(tuple)+2) + len(suffix))
	q.WriteString(prefix)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
	}
	q.WriteString(suffix)
	return q.String()
}
