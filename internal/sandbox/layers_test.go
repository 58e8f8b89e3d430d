package sandbox

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoDomainImportsTheSandbox: the sandbox (demo population, simulators, demo
// seeding) depends on the domains, never the other way round. Only the wiring
// (internal/app, cmd), the sandbox's own packages, its cabinet area and the load and
// test tools may import it; a domain that did would carry demo data into production.
func TestNoDomainImportsTheSandbox(t *testing.T) {
	const sandboxPath = "github.com/senimkz/senim/internal/sandbox"
	allowed := func(dir string) bool {
		for _, p := range []string{"internal/app", "internal/sandbox", "internal/web/sandboxui", "internal/pd/loadgen",
			"internal/pd/pdtest", "internal/pd/popreg", "cmd/", "examples/"} {
			if dir == strings.TrimSuffix(p, "/") || strings.HasPrefix(dir, p) || strings.HasPrefix(dir, p+"/") {
				return true
			}
		}
		return false
	}
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == sandboxPath && !allowed(rel) {
				t.Errorf("%s imports internal/sandbox", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d files; is the walk starting at the repository root?", checked)
	}
}
