// Package evtype is the registry of outbox event types. Each domain registers the
// types it emits, once, at package initialization; the outbox, the audit log, the
// notification point and the cabinet's history read the registry instead of
// repeating string literals, and a test can list every type that exists.
//
// A type's name is "<domain>.<object>.<verb>" in lower case (letters, digits, '_',
// dots); its version says which payload shape the events of that type carry; its
// catalog key ("event.<name>") is the text the cabinet shows for it in each language.
package evtype

import (
	"fmt"
	"slices"
	"sync"
)

// Info describes a registered type.
type Info struct {
	Name    string
	Version int
	// Citizen reports whether events of this type name a citizen as their subject and
	// so appear in that citizen's history (and need a text in every language).
	Citizen bool
}

// CatalogKey is the catalog key of the type's text.
func (i Info) CatalogKey() string { return "event." + i.Name }

// Audience says whom events of a type concern.
type Audience bool

const (
	// Citizen: the event names a citizen as its subject.
	Citizen Audience = true
	// Internal: the event concerns the system, a directory or an organization only.
	Internal Audience = false
)

var (
	mu  sync.RWMutex
	reg = map[string]Info{}
)

// Register records a type and returns its name, for use as store.Event.Type. It
// panics on a malformed name or a second registration: both are programming errors
// found when the package is first loaded.
func Register(name string, version int, who Audience) string {
	if !valid(name) || version < 1 {
		panic(fmt.Sprintf("evtype: invalid event type %q version %d", name, version))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := reg[name]; dup {
		panic("evtype: event type registered twice: " + name)
	}
	reg[name] = Info{Name: name, Version: version, Citizen: bool(who)}
	return name
}

// Lookup returns the registered type with name.
func Lookup(name string) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	i, ok := reg[name]
	return i, ok
}

// All returns every registered type, sorted by name.
func All() []Info {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Info, 0, len(reg))
	for _, i := range reg {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b Info) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

func valid(name string) bool {
	if len(name) < 3 || len(name) > 64 || name[0] == '.' || name[len(name)-1] == '.' {
		return false
	}
	dots := 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '.':
			if name[i-1] == '.' {
				return false
			}
			dots++
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return dots >= 1
}
