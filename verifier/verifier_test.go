package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

type signer struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newSigner(t testing.TB) *signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{kid: "k1", priv: k}
}

func (s *signer) sign(c Claims, hdr string) string {
	if hdr == "" {
		hdr = `{"alg":"ES256","kid":"` + s.kid + `","typ":"senim-st+jwt"}`
	}
	p, _ := json.Marshal(c)
	in := base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "." + base64.RawURLEncoding.EncodeToString(p)
	sum := sha256.Sum256([]byte(in))
	r, ss, _ := ecdsa.Sign(rand.Reader, s.priv, sum[:])
	var sig [64]byte
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig[:])
}

var clientCert = &x509.Certificate{Raw: []byte("client certificate DER")}

func thumb(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

func goodClaims() Claims {
	return Claims{Issuer: "https://senim.test", Audience: "070290000016", Subject: "850314000011", Initiator: "050490000012",
		Mode: ModeProactive, Scope: []string{"identity", "address"}, IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix(), ID: "j1",
		Confirmation: &Confirmation{X5TS256: thumb(clientCert)}}
}

func newVerifier(t testing.TB, s *signer, mut ...func(*Config)) *Verifier {
	cfg := Config{Keys: StaticKeys{s.kid: &s.priv.PublicKey}, Issuer: "https://senim.test", Audience: "070290000016", Now: func() time.Time { return now }}
	for _, m := range mut {
		m(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type online struct {
	active bool
	err    error
}

func (o online) Check(context.Context, string) (bool, string, error) {
	return o.active, "consent_revoked", o.err
}

// rule PD-6.1.10 rule PD-6.2.4 rule PD-6.3.8: the data owner checks that the token
// matches the request and is still valid; every check refuses on its own.
func TestVerify(t *testing.T) {
	s := newSigner(t)
	other := newSigner(t)
	good := Request{Subject: "850314000011", DataSets: []string{"identity"}, ClientCert: clientCert}
	cases := []struct {
		name  string
		token func() string
		req   Request
		cfg   func(*Config)
		want  error
	}{
		{"good", func() string { return s.sign(goodClaims(), "") }, good, nil, nil},
		{"missing", func() string { return "" }, good, nil, ErrMissing},
		{"garbage", func() string { return "abc" }, good, nil, ErrMalformed},
		{"alg none", func() string { return s.sign(goodClaims(), `{"alg":"none","kid":"k1","typ":"senim-st+jwt"}`) }, good, nil, ErrMalformed},
		{"HS256", func() string { return s.sign(goodClaims(), `{"alg":"HS256","kid":"k1","typ":"senim-st+jwt"}`) }, good, nil, ErrMalformed},
		{"unknown kid", func() string { return s.sign(goodClaims(), `{"alg":"ES256","kid":"k9","typ":"senim-st+jwt"}`) }, good, nil, ErrUnknownKey},
		{"signed by another key", func() string { return other.sign(goodClaims(), "") }, good, nil, ErrSignature},
		{"payload swapped", func() string {
			a := strings.Split(s.sign(goodClaims(), ""), ".")
			c := goodClaims()
			c.Scope = append(c.Scope, "family")
			b := strings.Split(s.sign(c, ""), ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, good, nil, ErrSignature},
		{"other issuer", func() string { c := goodClaims(); c.Issuer = "https://evil"; return s.sign(c, "") }, good, nil, ErrIssuer},
		{"other audience", func() string { c := goodClaims(); c.Audience = "999999999999"; return s.sign(c, "") }, good, nil, ErrAudience},
		{"expired", func() string { c := goodClaims(); c.Expiry = now.Add(-time.Minute).Unix(); return s.sign(c, "") }, good, nil, ErrExpired},
		{"expired within skew", func() string { c := goodClaims(); c.Expiry = now.Add(-10 * time.Second).Unix(); return s.sign(c, "") }, good, nil, nil},
		{"issued in the future", func() string { c := goodClaims(); c.IssuedAt = now.Add(time.Hour).Unix(); return s.sign(c, "") }, good, nil, ErrNotYetValid},
		{"other subject", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "790921000015", DataSets: []string{"identity"}, ClientCert: clientCert}, nil, ErrSubject},
		{"data set outside scope", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "850314000011", DataSets: []string{"identity", "family"}, ClientCert: clientCert}, nil, ErrScope},
		{"no data set", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "850314000011", ClientCert: clientCert}, nil, ErrScope},
		{"other initiator", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "850314000011", DataSets: []string{"identity"}, Initiator: "1", ClientCert: clientCert}, nil, ErrInitiator},
		{"no client certificate", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "850314000011", DataSets: []string{"identity"}}, nil, ErrSender},
		{"other client certificate", func() string { return s.sign(goodClaims(), "") }, Request{Subject: "850314000011", DataSets: []string{"identity"}, ClientCert: &x509.Certificate{Raw: []byte("x")}}, nil, ErrSender},
		{"unbound token", func() string { c := goodClaims(); c.Confirmation = nil; return s.sign(c, "") }, good, nil, ErrSender},
		{"sender constraint off", func() string { c := goodClaims(); c.Confirmation = nil; return s.sign(c, "") },
			Request{Subject: "850314000011", DataSets: []string{"identity"}}, func(c *Config) { c.NoSenderConstraint = true }, nil},
		{"online: revoked", func() string { return s.sign(goodClaims(), "") }, good, func(c *Config) { c.Online = online{active: false} }, ErrRevoked},
		{"online: unavailable", func() string { return s.sign(goodClaims(), "") }, good, func(c *Config) { c.Online = online{err: errors.New("down")} }, ErrUnavailable},
		{"online: good", func() string { return s.sign(goodClaims(), "") }, good, func(c *Config) { c.Online = online{active: true} }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var muts []func(*Config)
			if tc.cfg != nil {
				muts = append(muts, tc.cfg)
			}
			v := newVerifier(t, s, muts...)
			c, err := v.Verify(t.Context(), tc.token(), tc.req)
			if tc.want == nil {
				if err != nil || c == nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMiddlewareAndJWKS(t *testing.T) {
	s := newSigner(t)
	set := map[string]any{"keys": []map[string]string{jwkOf(s)}}
	fetches := 0
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		json.NewEncoder(w).Encode(set)
	}))
	defer keys.Close()
	v := newVerifier(t, s, func(c *Config) { c.Keys = NewJWKS(keys.URL, nil); c.NoSenderConstraint = true })
	h := v.Middleware(func(r *http.Request) (Request, error) {
		return Request{Subject: r.URL.Query().Get("iin"), DataSets: []string{"identity"}}, nil
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(FromContext(r.Context()).Initiator))
	}))
	tok := s.sign(goodClaims(), "")
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/?iin=850314000011", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.String() != "050490000012" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	if fetches != 1 {
		t.Errorf("JWKS fetched %d times", fetches)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/?iin=790921000015", nil)
	req.Header.Set("Senim-Security-Token", tok)
	h.ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "verifier.request.subject_mismatch") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	// Unknown kids do not hammer Senim.
	for i := 0; i < 5; i++ {
		v.Parse(t.Context(), s.sign(goodClaims(), `{"alg":"ES256","kid":"zz`+string(rune('a'+i))+`","typ":"senim-st+jwt"}`))
	}
	if fetches > 2 {
		t.Errorf("JWKS fetched %d times for unknown kids", fetches)
	}
}

func jwkOf(s *signer) map[string]string {
	b, _ := s.priv.PublicKey.Bytes()
	return map[string]string{"kty": "EC", "crv": "P-256", "kid": s.kid, "alg": "ES256",
		"x": base64.RawURLEncoding.EncodeToString(b[1:33]), "y": base64.RawURLEncoding.EncodeToString(b[33:])}
}

func FuzzParse(f *testing.F) {
	s := newSigner(f)
	f.Add(s.sign(goodClaims(), ""))
	f.Add("a.b.c")
	f.Add("")
	f.Add(s.sign(goodClaims(), `{"alg":"ES256","kid":"k1","typ":"senim-st+jwt","x":[1,2]}`))
	v := newVerifier(f, s, func(c *Config) { c.NoSenderConstraint = true })
	f.Fuzz(func(t *testing.T, tok string) {
		v.Verify(context.Background(), tok, Request{Subject: "850314000011", DataSets: []string{"identity"}})
	})
}

func BenchmarkVerify(b *testing.B) {
	s := newSigner(b)
	v := newVerifier(b, s)
	tok := s.sign(goodClaims(), "")
	req := Request{Subject: "850314000011", DataSets: []string{"identity"}, ClientCert: clientCert}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel uses every CPU: ns/op divided into 1 s times GOMAXPROCS... is
// the per-core rate's inverse only when the machine is otherwise idle.
func BenchmarkVerifyParallel(b *testing.B) {
	s := newSigner(b)
	v := newVerifier(b, s)
	tok := s.sign(goodClaims(), "")
	req := Request{Subject: "850314000011", DataSets: []string{"identity"}, ClientCert: clientCert}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(context.Background(), tok, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
