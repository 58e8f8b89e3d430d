package problem

import (
	"slices"
	"strings"
	"sync"
)

// Entry is one problem code of the catalogue: what docs/errors.md lists.
type Entry struct {
	Code   string
	Status int
	Title  string
	Rule   string // the seed-rules.md rule the code enforces, if any
	Todo   string // what the caller should do (Todo)
}

var catalog = struct {
	sync.Mutex
	m map[string]*Entry
}{m: map[string]*Entry{}}

func register(status int, code, title string) {
	catalog.Lock()
	defer catalog.Unlock()
	if e := catalog.m[code]; e != nil {
		return // the first definition names the code (a few are defined twice, alike)
	}
	catalog.m[code] = &Entry{Code: code, Status: status, Title: title}
}

func registerRule(code, rule string) {
	catalog.Lock()
	defer catalog.Unlock()
	if e := catalog.m[code]; e != nil && e.Rule == "" {
		e.Rule = rule
	}
}

// Register enters codes made outside New (e.g. package eds's coded errors, which
// /v1/eds renders as problems) in the catalogue.
func Register(status int, code, title string) { register(status, code, title) }

// Catalog returns every code entered so far — by every problem defined in a package
// the program links — sorted by code, each with what to do about it.
func Catalog() []Entry {
	catalog.Lock()
	out := make([]Entry, 0, len(catalog.m))
	for _, e := range catalog.m {
		c := *e
		c.Todo = Todo(c.Code)
		out = append(out, c)
	}
	catalog.Unlock()
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Todo returns what a caller should do about code: the advice for the code itself,
// or for the longest prefix ("pd.verification_token.") that has one; "" if none.
func Todo(code string) string {
	if t, ok := todo[code]; ok {
		return t
	}
	best := ""
	for k := range todo {
		if strings.HasSuffix(k, ".") && strings.HasPrefix(code, k) && len(k) > len(best) {
			best = k
		}
	}
	return todo[best]
}
