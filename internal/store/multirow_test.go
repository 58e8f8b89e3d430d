package store_test

import (
	"testing"

	"github.com/senimkz/senim/internal/store"
)

// MultiRowChunk splits any batch into statements of RowsChunk rows and then powers of
// two: the rows add up, and at most eight statement texts are ever made.
func TestMultiRowChunk(t *testing.T) {
	texts := map[int]bool{}
	for n := 1; n <= 3*store.RowsChunk+17; n++ {
		sum := 0
		for rest := n; rest > 0; {
			c := store.MultiRowChunk(rest)
			if c < 1 || c > rest || c > store.RowsChunk {
				t.Fatalf("n=%d: chunk of %d rows with %d left", n, c, rest)
			}
			texts[c] = true
			sum += c
			rest -= c
		}
		if sum != n {
			t.Fatalf("n=%d: chunks add up to %d", n, sum)
		}
	}
	if len(texts) != 8 {
		t.Errorf("%d chunk sizes, want 8 (128 and the powers of two below): %v", len(texts), texts)
	}
	if c := store.MultiRowChunk(0); c != 0 {
		t.Errorf("MultiRowChunk(0) = %d", c)
	}
	if q := store.MultiRow("INSERT INTO t (a, b) VALUES ", "(?, ?)", 3, " RETURNING a"); q != "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) RETURNING a" {
		t.Errorf("MultiRow = %q", q)
	}
}
