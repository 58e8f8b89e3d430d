package mobilesign

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T, db *store.DB, c *clock) *Service {
	t.Helper()
	v, err := pki.New(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Validator: v, Now: c.now, Org: Organisation{NameKk: "Senim", NameRu: "Senim", NameEn: "Senim", BIN: "000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return problem.From(err).Code
}

func authOf(t *testing.T, info any) string {
	t.Helper()
	b, _ := json.Marshal(info)
	var li struct {
		Document struct {
			AuthToken string `json:"auth_token"`
		} `json:"document"`
	}
	json.Unmarshal(b, &li)
	return li.Document.AuthToken
}

// A link lives 180 s and is read once; API-2 needs API-1's token; a request the page
// does not hold a token for tells nothing; expired requests are pruned.
func TestLinkLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
		s := newService(t, db, c)
		if _, err := s.Start(t.Context(), "https://senim.test", Request{Method: CMSWithData}); code(err) != ErrBadRequest.Code {
			t.Errorf("no document: %v", err)
		}
		if _, err := s.Start(t.Context(), "https://senim.test", Request{Document: []byte("x"), Method: "PDF"}); code(err) != ErrBadRequest.Code {
			t.Errorf("PDF: %v", err)
		}
		st, err := s.Start(t.Context(), "https://senim.test", Request{Document: []byte("Senim login x"), Method: CMSWithData,
			Description: map[string]string{"kk": "Кіру", "ru": "Вход", "en": "Log in"}})
		if err != nil {
			t.Fatal(err)
		}
		if !st.ExpiresAt.Equal(c.t.Add(DefaultLifetime)) || !strings.HasPrefix(st.Link, "https://senim.test/mobile-sign/") {
			t.Fatalf("started %+v", st)
		}
		link := strings.TrimPrefix(st.Link, "https://senim.test/mobile-sign/")
		if w, _ := s.Watch(t.Context(), st.Watch); w.State != StateOffered {
			t.Errorf("watch: %+v", w)
		}
		// The page's token is not the link's, nor the reverse.
		if _, err := s.Open(t.Context(), st.Watch, "https://senim.test", "kk"); code(err) != ErrLinkGone.Code {
			t.Errorf("the watch token opened the link: %v", err)
		}
		if w, _ := s.Watch(t.Context(), link); w.State != StateGone {
			t.Errorf("the link token watched: %+v", w)
		}
		info, err := s.Open(t.Context(), link, "https://senim.test", "kk")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(info)
		for _, want := range []string{`"description":"Кіру"`, `"nameKz":"Senim"`, `"auth_type":"Token"`, `"uri":"https://senim.test/mobile-sign/` + link + `/document"`, `"expiry_date":"2026-03-01T10:03:00Z"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("API-1 lacks %s: %s", want, b)
			}
		}
		if _, err := s.Open(t.Context(), link, "https://senim.test", "kk"); code(err) != ErrLinkUsed.Code {
			t.Errorf("second read: %v", err)
		}
		token := authOf(t, info)
		for _, bad := range []string{"", "x", st.Watch} {
			if _, err := s.Document(t.Context(), link, bad); code(err) != ErrAuth.Code {
				t.Errorf("API-2 with %q: %v", bad, err)
			}
		}
		d, err := s.Document(t.Context(), link, token)
		if err != nil || d.SignMethod != CMSWithData || len(d.DocumentsToSign) != 1 || d.DocumentsToSign[0].Document.File.Data != "U2VuaW0gbG9naW4geA==" {
			t.Fatalf("API-2: %+v %v", d, err)
		}
		// After its lifetime the request is gone for everyone.
		c.t = c.t.Add(DefaultLifetime)
		if _, err := s.Document(t.Context(), link, token); code(err) != ErrLinkGone.Code {
			t.Errorf("API-2 after expiry: %v", err)
		}
		if err := s.Accept(t.Context(), link, token, []byte(`{}`)); code(err) != ErrLinkGone.Code {
			t.Errorf("PUT after expiry: %v", err)
		}
		if w, _ := s.Watch(t.Context(), st.Watch); w.State != StateGone {
			t.Errorf("watch after expiry: %+v", w)
		}
		// A new request prunes the expired one.
		c.t = c.t.Add(time.Second)
		if _, err := s.Start(t.Context(), "https://senim.test", Request{Document: []byte("y"), Method: CMSSignOnly}); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM mobile_signs`).Scan(&n)
		if n != 1 {
			t.Errorf("%d rows after pruning, want 1", n)
		}
	})
}

// An unopened link expires too; its token never reaches API-2.
func TestUnopenedLinkExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
		s := newService(t, db, c)
		st, err := s.Start(t.Context(), "http://h", Request{Document: []byte("z"), Method: CMSSignOnly})
		if err != nil {
			t.Fatal(err)
		}
		c.t = st.ExpiresAt
		if _, err := s.Open(t.Context(), strings.TrimPrefix(st.Link, "http://h/mobile-sign/"), "http://h", "ru"); code(err) != ErrLinkGone.Code {
			t.Errorf("expired link: %v", err)
		}
		if _, err := s.Take(t.Context(), st.Watch); code(err) != ErrLinkGone.Code {
			t.Errorf("take: %v", err)
		}
	})
}
