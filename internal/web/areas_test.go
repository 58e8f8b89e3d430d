package web_test

import (
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
