package store

import (
	"strconv"
	"strings"
	"testing"
)

func TestRebindDollar(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ? , ?", "SELECT $1 , $2"},
		{"INSERT INTO t (a, b) VALUES (?, ?) RETURNING id", "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id"},
		{"SELECT 'what?' WHERE a = ?", "SELECT 'what?' WHERE a = $1"},
		{"SELECT 'it''s?', ?", "SELECT 'it''s?', $1"},
		{`SELECT E'\'?', ?`, `SELECT E'\'?', $1`},
		{`SELECT e'a\\', ?`, `SELECT e'a\\', $1`},
		{`SELECT 'a\', ?`, `SELECT 'a\', $1`}, // standard strings: backslash is literal
		{`SELECT "col?" FROM t WHERE x = ?`, `SELECT "col?" FROM t WHERE x = $1`},
		{`SELECT "a""?" , ?`, `SELECT "a""?" , $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"SELECT ? -- trailing?", "SELECT $1 -- trailing?"},
		{"SELECT /* a? /* nested? */ still? */ ?", "SELECT /* a? /* nested? */ still? */ $1"},
		{"SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1"},
		{"SELECT $tag$ ? $x$ ? $tag$, ?", "SELECT $tag$ ? $x$ ? $tag$, $1"},
		{"SELECT $1x, ?", "SELECT $1x, $1"}, // not a dollar quote (a positional parameter)
		{"SELECT a$b$, ?", "SELECT a$b$, $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
		{"SELECT ?" + strings.Repeat(",?", 10), "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
	}
	for _, tc := range tests {
		if got := rebindDollar(tc.in); got != tc.want {
			t.Errorf("rebindDollar(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// FuzzRebindDollar: no input panics, and only '?' characters change.
func FuzzRebindDollar(f *testing.F) {
	for _, s := range []string{
		"SELECT ? , 'a?' , \"b?\" -- c?\n /* d? */ $$e?$$ $t$f?$t$ E'g\\'?'",
		"INSERT INTO outbox_events (type, actor, subject, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		"/* /* */", "'", "$", "$a", "E'\\", "--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := rebindDollar(q)
		if !strings.Contains(q, "?") {
			if got != q {
				t.Fatalf("changed a query without '?': %q -> %q", q, got)
			}
			return
		}
		// got must be q with some '?' replaced by $1, $2, ... in order.
		j, k := 0, 1
		for i := 0; i < len(q); i++ {
			if q[i] == '?' && j < len(got) && got[j] != '?' {
				p := "$" + strconv.Itoa(k)
				if !strings.HasPrefix(got[j:], p) {
					t.Fatalf("at %d: want %s: %q -> %q", i, p, q, got)
				}
				j += len(p)
				k++
				continue
			}
			if j >= len(got) || got[j] != q[i] {
				t.Fatalf("byte %d changed: %q -> %q", i, q, got)
			}
			j++
		}
		if j != len(got) {
			t.Fatalf("trailing bytes: %q -> %q", q, got)
		}
	})
}

func TestHasReturningID(t *testing.T) {
	for q, want := range map[string]bool{
		"INSERT INTO t (a) VALUES (?) RETURNING id":     true,
		"INSERT INTO t (a) VALUES (?)\n  returning ID;": true,
		"INSERT INTO t (a) VALUES (?)":                  false,
		"INSERT INTO t (a) VALUES (?) RETURNING id, a":  false,
		"RETURNING": false,
	} {
		if got := hasReturningID(q); got != want {
			t.Errorf("hasReturningID(%q) = %v, want %v", q, got, want)
		}
	}
}
