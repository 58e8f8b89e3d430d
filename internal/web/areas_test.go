package web_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAreasDoNotImportEachOther: an area imports the shell and its domain, never
// another area, so a change to one area never touches another.
func TestAreasDoNotImportEachOther(t *testing.T) {
	const prefix = "github.com/senimkz/senim/internal/web/"
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	areas := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "webtest" || d.Name() == "templates" || d.Name() == "static" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(d.Name(), "*.go"))
		if len(files) == 0 {
			continue
		}
		areas++
		for _, f := range files {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if other, ok := strings.CutPrefix(p, prefix); ok && other != "webtest" {
					t.Errorf("%s imports the area %s", f, other)
				}
			}
		}
	}
	if areas < 5 {
		t.Errorf("found %d areas; is the test looking in the right place?", areas)
	}
}

// TestEnglishSpellsOrganisationOneWay: the English catalogs, shared and every area's,
// write "organisation" as the design and the docs do, never "organization" (identifiers
// and API codes are not catalog text and are not checked).
func TestEnglishSpellsOrganisationOneWay(t *testing.T) {
	files, _ := filepath.Glob("*/catalog/en.json")
	files = append(files, "../i18n/catalog/en.json")
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]string
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range cat {
			if strings.Contains(strings.ToLower(v), "organiz") {
				t.Errorf("%s: %s says %q: write organisation", f, k, v)
			}
		}
	}
}
