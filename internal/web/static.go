package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFiles serves the embedded static files under content-hashed names
// (style.3f2a…​.css) with immutable caching, and under their plain names with an hour's
// caching for links made before the hashes existed.
type staticFiles struct {
	byName   map[string]staticFile // plain name -> file
	byHashed map[string]staticFile // hashed name -> file
}

type staticFile struct {
	name, hashed string
	body         []byte
}

func newStatic(fsys fs.FS, dir string) (*staticFiles, error) {
	st := &staticFiles{byName: map[string]staticFile{}, byHashed: map[string]staticFile{}}
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		f := staticFile{name: e.Name(), hashed: strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext, body: b}
		st.byName[f.name], st.byHashed[f.hashed] = f, f
	}
	return st, nil
}

// url is the template function "static": the hashed URL of a file; an unknown name
// fails the template, so a typo shows in the tests.
func (st *staticFiles) url(name string) (string, error) {
	f, ok := st.byName[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return "/static/" + f.hashed, nil
}

func (st *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	f, ok := st.byHashed[name]
	cache := "public, max-age=31536000, immutable"
	if !ok {
		if f, ok = st.byName[name]; !ok {
			http.NotFound(w, r)
			return
		}
		cache = "public, max-age=3600"
	}
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, f.name, time.Time{}, strings.NewReader(string(f.body)))
}
