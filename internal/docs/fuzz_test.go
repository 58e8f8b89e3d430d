package docs_test

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/docs"
)

// FuzzParseRecord: a reference source's answer is untrusted bytes.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"kind":"identity_card","version":1,"fields":{"name":"Айгерім","number":"012345678"}}`))
	f.Add([]byte(`{"kind":"x","version":0,"fields":{}}`))
	f.Add([]byte(`{"kind":"identity_card","version":1,"fields":{"a":"\u0000"}} {}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := docs.ParseRecord(b)
		if err != nil {
			return
		}
		if r.Kind == "" || r.Version < 1 || len(r.Fields) == 0 {
			t.Fatalf("accepted %q as %+v", b, r)
		}
	})
}

// FuzzParseSecret: what a verifier types or scans.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"ABCDE-FGHJK", "https://senim.kz/documents/verify#t=AAAAAAAAAAAAAAAAAAAAAA", " abcde fghjk ", "#t=", "x#t=y#t=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec := docs.ParseSecret(s)
		if sec.Token != "" && sec.Code != "" {
			t.Fatalf("%q parsed as both a token and a code", s)
		}
		if sec.Code != "" && (strings.ContainsAny(sec.Code, " -\t") || strings.ToUpper(sec.Code) != sec.Code) {
			t.Fatalf("%q: code %q not normalized", s, sec.Code)
		}
	})
}

// FuzzVerifyRecord: a record handed to senim docs verify is untrusted.
func FuzzVerifyRecord(f *testing.F) {
	k := newSigner(f)
	good, _ := k.SignJWS(f.Context(), docs.RecordType, []byte(`{"iss":"x","jti":"v_AAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add(good)
	f.Add("a.b.c")
	f.Add("")
	jwks := k.jwks()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := docs.VerifyRecord(s, jwks)
		if err == nil && (c.Event <= 0 || c.ID == "") {
			t.Fatalf("accepted %q", s)
		}
	})
}
