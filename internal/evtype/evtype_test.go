package evtype

import "testing"

func TestRegister(t *testing.T) {
	name := Register("test.thing.done", 2, Citizen)
	if name != "test.thing.done" {
		t.Fatal(name)
	}
	i, ok := Lookup(name)
	if !ok || i.Version != 2 || !i.Citizen || i.CatalogKey() != "event.test.thing.done" {
		t.Fatalf("Lookup = %+v, %v", i, ok)
	}
	if _, ok := Lookup("test.thing.undone"); ok {
		t.Fatal("an unregistered type was found")
	}
	found := false
	for _, i := range All() {
		found = found || i.Name == name
	}
	if !found {
		t.Fatal("All does not list a registered type")
	}
}

func TestRegisterRefuses(t *testing.T) {
	Register("test.once", 1, Internal)
	for _, c := range []struct {
		name    string
		version int
	}{{"test.once", 1}, {"", 1}, {"nodot", 1}, {"Upper.case", 1}, {"a..b", 1}, {".a.b", 1}, {"a.b.", 1}, {"a b.c", 1}, {"test.v0", 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %d) did not panic", c.name, c.version)
				}
			}()
			Register(c.name, c.version, Internal)
		}()
	}
}
