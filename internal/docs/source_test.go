package docs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The HTTP source speaks the contract of docs/adapters.md: it reads the sandbox
// register through SourceHandler exactly as the register answers in-process, says
// ErrNoDocument on 404 and ErrSourceUnavailable on anything it cannot use, and never
// puts the IIN in the URL.
func TestHTTPSource(t *testing.T) {
	pop := sandbox.Demo()
	reg := sandbox.NewDocuments(pop)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.String())
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		docs.SourceHandler(reg).ServeHTTP(w, r)
	}))
	defer srv.Close()
	src, err := docs.NewHTTPSource(docs.HTTPSourceConfig{BaseURL: srv.URL + "/", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	iin := pop.Citizens[0].IIN
	got, err := src.Fetch(t.Context(), docs.KindIdentityCard, iin)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := reg.Fetch(t.Context(), docs.KindIdentityCard, iin)
	if got.Kind != want.Kind || got.Version != 1 || got.Fields["number"] != want.Fields["number"] || len(got.Fields) != len(want.Fields) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := src.Fetch(t.Context(), docs.KindDrivingLicence, pop.Citizens[18].IIN); !errors.Is(err, docs.ErrNoDocument) {
		t.Errorf("a minor's driving licence: %v", err)
	}
	for _, p := range paths {
		if strings.Contains(p, iin) {
			t.Errorf("the IIN is in the URL %s", p)
		}
	}
	bad, _ := docs.NewHTTPSource(docs.HTTPSourceConfig{BaseURL: srv.URL})
	if _, err := bad.Fetch(t.Context(), docs.KindIdentityCard, iin); !errors.Is(err, docs.ErrSourceUnavailable) {
		t.Errorf("401: %v", err)
	}
	for _, body := range []string{`{"kind":"identity_card","version":1,"fields":{"x":"1"},"extra":1}`, `not json`, `{"kind":"birth_certificate","version":1,"fields":{"name":"x"}}`} {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
		c, _ := docs.NewHTTPSource(docs.HTTPSourceConfig{BaseURL: s.URL})
		if _, err := c.Fetch(context.Background(), docs.KindIdentityCard, iin); !errors.Is(err, docs.ErrSourceUnavailable) {
			t.Errorf("%s: %v", body, err)
		}
		s.Close()
	}
	for _, u := range []string{"", "ftp://x", "/relative"} {
		if _, err := docs.NewHTTPSource(docs.HTTPSourceConfig{BaseURL: u}); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
}

// A source's answer that does not fit its type's layout is refused, never shown.
func TestSourceAnswerChecked(t *testing.T) {
	f := newFixture(t, storetest.Open(t), func(c *docs.Config) { c.Source = badSource{} })
	for _, kind := range []string{docs.KindIdentityCard, docs.KindBirthCertificate, docs.KindDrivingLicence, docs.KindVehicleRegistration} {
		if _, err := f.svc.Form(t.Context(), f.owner.IIN, kind); code(err) != "docs.source.unavailable" {
			t.Errorf("%s: %s", kind, code(err))
		}
	}
}

// badSource answers each kind with something wrong.
type badSource struct{}

func (badSource) Fetch(_ context.Context, kind, iin string) (*docs.Record, error) {
	switch kind {
	case docs.KindIdentityCard: // a field missing
		return &docs.Record{Kind: kind, Version: 1, Fields: map[string]string{"name": "x"}}, nil
	case docs.KindBirthCertificate: // an unknown version
		return &docs.Record{Kind: kind, Version: 9, Fields: map[string]string{"name": "x"}}, nil
	case docs.KindDrivingLicence: // another kind
		return &docs.Record{Kind: docs.KindIdentityCard, Version: 1}, nil
	}
	return nil, errors.New("down")
}

// The standard types are complete; a registry refuses duplicates and incomplete types.
func TestTypes(t *testing.T) {
	r := docs.StandardTypes()
	if got := strings.Join(r.Kinds(), ","); got != "address_registration,birth_certificate,driving_licence,identity_card,vehicle_registration" {
		t.Fatalf("kinds %s", got)
	}
	ok := &docs.Type{Kind: "passport", Version: 1, Title: docs.Text{KK: "a", RU: "b", EN: "c"},
		Layout: []docs.Field{{Key: "number", Label: docs.Text{KK: "a", RU: "b", EN: "c"}, Max: 9}}}
	v2 := *ok
	v2.Version = 2
	if r, err := docs.NewTypes(ok, &v2); err != nil || r.Latest("passport").Version != 2 || r.Get("passport", 1) != ok {
		t.Fatalf("v1 and v2 side by side: %v", err)
	}
	for name, bad := range map[string]*docs.Type{
		"no title":      {Kind: "x", Version: 1, Title: docs.Text{KK: "a", RU: "b"}, Layout: ok.Layout},
		"bad kind":      {Kind: "X-1", Version: 1, Title: ok.Title, Layout: ok.Layout},
		"version 0":     {Kind: "x", Version: 0, Title: ok.Title, Layout: ok.Layout},
		"no layout":     {Kind: "x", Version: 1, Title: ok.Title},
		"no label":      {Kind: "x", Version: 1, Title: ok.Title, Layout: []docs.Field{{Key: "a", Max: 1}}},
		"repeated key":  {Kind: "x", Version: 1, Title: ok.Title, Layout: append(append([]docs.Field{}, ok.Layout...), ok.Layout...)},
		"no max length": {Kind: "x", Version: 1, Title: ok.Title, Layout: []docs.Field{{Key: "a", Label: ok.Title}}},
	} {
		if _, err := docs.NewTypes(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := docs.NewTypes(ok, ok); err == nil {
		t.Error("a duplicate (kind, version) accepted")
	}
}

// SourceHandler's refusals are JSON like its answers ({"code": ...} with
// application/json), as api/openapi.yaml documents them, never text/plain.
func TestSourceHandlerErrorsAreJSON(t *testing.T) {
	pop := sandbox.Demo()
	h := docs.SourceHandler(sandbox.NewDocuments(pop))
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`not json`, 400, "bad_request"},
		{`{"kind":"identity_card"}`, 400, "bad_request"},
		{`{"kind":"driving_licence","iin":"` + pop.Citizens[18].IIN + `"}`, 404, "not_found"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/v1/documents", strings.NewReader(tc.body)))
		if w.Code != tc.status || w.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(w.Body.String()) != `{"code":"`+tc.code+`"}` {
			t.Errorf("%s: %d %q %s", tc.body, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
	w := httptest.NewRecorder()
	docs.SourceHandler(badSource{}).ServeHTTP(w, httptest.NewRequest("POST", "/v1/documents", strings.NewReader(`{"kind":"x","iin":"1"}`)))
	if w.Code != 503 || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("source down: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}
