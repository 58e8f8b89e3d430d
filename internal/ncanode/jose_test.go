package ncanode

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
)

const (
	rsaP12 = "../eds/pkcs12/testdata/openssl-rsa-aes256.p12"
	ecP12  = "../eds/pkcs12/testdata/openssl-ec-aes256.p12"
)

func opensslKey(t *testing.T, path string) KeyRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return KeyRequest{Key: b64(b), Password: "Senim2026"}
}

func opensslCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile("../eds/pkcs12/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(p.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jwtEncodeReq(k KeyRequest, alg, payload string) JwtEncodeRequest {
	var r JwtEncodeRequest
	json.Unmarshal([]byte(`{"jwt":{"header":{"alg":"`+alg+`","typ":"JWT"},"payload":`+payload+`}}`), &r)
	r.Key, r.Password, r.KeyAlias = k.Key, k.Password, k.KeyAlias
	return r
}

// issue 12 item 7: /jwt/encode and /jwt/decode in NCANode's shapes, with the
// NCA's GOST key (GG2015), RSA (RS256, RS512) and ECDSA (ES256) key files; an
// RS256 token is checked with crypto/rsa directly (RFC 7515's signing input),
// not with package jws.
func TestJWTEncodeDecode(t *testing.T) {
	h := newTestServer(t)
	gost := key(t, "individual/valid/individual_valid.p12")
	gostCert := readCert(t, "leaf/individual_valid.cer")
	claims := `{"sub":"x","n":1,"f":1.5,"b":true,"skip":null,"iss":"senim","sub":"y"}`
	cases := []struct {
		alg  string
		key  KeyRequest
		cert *x509.Certificate
	}{
		{"GG2015", gost, gostCert},
		{"RS256", opensslKey(t, rsaP12), opensslCert(t, "rsa.crt")},
		{"RS512", opensslKey(t, rsaP12), opensslCert(t, "rsa.crt")},
		{"ES256", opensslKey(t, ecP12), opensslCert(t, "ec.crt")},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			var enc JwtEncodeResponse
			postOK(t, h, "/jwt/encode", jwtEncodeReq(c.key, c.alg, claims), &enc)
			parts := strings.Split(enc.JWT, ".")
			if len(parts) != 3 {
				t.Fatalf("jwt %q", enc.JWT)
			}
			hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
			pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
			// java-jwt's header; the claims in order, null left out, a repeated key last.
			if string(hb) != `{"alg":"`+c.alg+`","typ":"JWT"}` || string(pb) != `{"sub":"y","n":1,"f":1.5,"b":true,"iss":"senim"}` {
				t.Errorf("header %s payload %s", hb, pb)
			}
			var dec JwtDecodeResponse
			postOK(t, h, "/jwt/decode", JwtDecodeRequest{JWT: &enc.JWT, Key: b64(c.cert.Raw)}, &dec)
			if !dec.Valid || dec.JWT.Header.Alg != c.alg || dec.JWT.Header.Typ == nil || *dec.JWT.Header.Typ != "JWT" ||
				string(dec.JWT.Payload) != string(pb) || len(dec.Errors) != 0 {
				t.Errorf("decode: %+v", dec)
			}
			// Another payload under the same signature: valid false, 200.
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"z"}`)) + "." + parts[2]
			postOK(t, h, "/jwt/decode", JwtDecodeRequest{JWT: &forged, Key: b64(c.cert.Raw)}, &dec)
			if dec.Valid || len(dec.Errors) != 1 || dec.Errors[0] != "jws.signature_invalid" {
				t.Errorf("forged: %+v", dec)
			}
		})
	}

	// Independent check of an RS256 token (RFC 7515/7518) with the standard library.
	var enc JwtEncodeResponse
	postOK(t, h, "/jwt/encode", jwtEncodeReq(opensslKey(t, rsaP12), "RS256", `{"a":1}`), &enc)
	i := strings.LastIndexByte(enc.JWT, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(enc.JWT[i+1:])
	sum := sha256.Sum256([]byte(enc.JWT[:i]))
	if err := rsa.VerifyPKCS1v15(opensslCert(t, "rsa.crt").PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("RS256 token does not verify with crypto/rsa: %v", err)
	}
	// ES512 is not ES256's curve: the P-256 key cannot make it.
	code, body := post(t, h, "/jwt/encode", jwtEncodeReq(opensslKey(t, ecP12), "ES512", `{"a":1}`))
	checkError(t, code, body, 400, "jws.alg_key_mismatch")
}

// An ES256 token is r‖s of 64 bytes (RFC 7518 3.4), checked with crypto/ecdsa.
func TestJWTES256Independent(t *testing.T) {
	h := newTestServer(t)
	var enc JwtEncodeResponse
	postOK(t, h, "/jwt/encode", jwtEncodeReq(opensslKey(t, ecP12), "ES256", `{"a":1}`), &enc)
	i := strings.LastIndexByte(enc.JWT, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(enc.JWT[i+1:])
	if len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes", len(sig))
	}
	sum := sha256.Sum256([]byte(enc.JWT[:i]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(opensslCert(t, "ec.crt").PublicKey.(*ecdsa.PublicKey), sum[:], r, s) {
		t.Error("ES256 token does not verify with crypto/ecdsa")
	}
}

// java-jwt's time checks at the clock (2026-11-01T12:00:00Z = 1793534400).
func TestJWTDecodeTimeClaims(t *testing.T) {
	h := newTestServer(t)
	k, cert := opensslKey(t, rsaP12), opensslCert(t, "rsa.crt")
	now := testNow.Unix()
	for _, c := range []struct {
		claims string
		valid  bool
		code   string
	}{
		{`{"exp":` + itoa(now) + `}`, true, ""},
		{`{"exp":` + itoa(now-1) + `}`, false, "jws.expired"},
		{`{"exp":"tomorrow"}`, false, "jws.expired"},
		{`{"nbf":` + itoa(now) + `,"iat":` + itoa(now) + `}`, true, ""},
		{`{"nbf":` + itoa(now+1) + `}`, false, "jws.not_yet_valid"},
		{`{"iat":` + itoa(now+60) + `}`, false, "jws.not_yet_valid"},
	} {
		var enc JwtEncodeResponse
		postOK(t, h, "/jwt/encode", jwtEncodeReq(k, "RS256", c.claims), &enc)
		var dec JwtDecodeResponse
		postOK(t, h, "/jwt/decode", JwtDecodeRequest{JWT: &enc.JWT, Key: b64(cert.Raw)}, &dec)
		if dec.Valid != c.valid || (c.code != "" && (len(dec.Errors) != 1 || dec.Errors[0] != c.code)) {
			t.Errorf("%s: %+v", c.claims, dec)
		}
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }

// issue 12 item 7: golden NCANode shapes of /jwt/encode and /jwt/decode
// (RSA PKCS#1 v1.5 is deterministic, so the whole answer is fixed).
func TestJWTGolden(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/jwt/encode", jwtEncodeReq(opensslKey(t, rsaP12), "RS256", `{"iss":"senim","iat":1793534400}`))
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "jwt-encode-rs256.json", body)
	var enc JwtEncodeResponse
	json.Unmarshal(body, &enc)
	code, body = post(t, h, "/jwt/decode", JwtDecodeRequest{JWT: &enc.JWT, Key: b64(opensslCert(t, "rsa.crt").Raw)})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "jwt-decode-rs256.json", body)
}

// issue 12 item 7, bad input: /jwt/* refusals have stable codes, never a 500.
func TestJWTErrors(t *testing.T) {
	h := newTestServer(t)
	rsaKey := opensslKey(t, rsaP12)
	cert := b64(opensslCert(t, "rsa.crt").Raw)
	var enc JwtEncodeResponse
	postOK(t, h, "/jwt/encode", jwtEncodeReq(rsaKey, "RS256", `{"a":1}`), &enc)
	parts := strings.Split(enc.JWT, ".")
	str := func(s string) *string { return &s }
	noneTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	hsTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + parts[1] + "." + parts[2]
	ggTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"GG2015"}`)) + "." + parts[1] + "." + parts[2]
	for _, c := range []struct {
		name string
		path string
		body any
		code string
	}{
		{"no jwt", "/jwt/encode", JwtEncodeRequest{Key: rsaKey.Key, Password: "x"}, "request.invalid_field"},
		{"payload not an object", "/jwt/encode", jwtEncodeReq(rsaKey, "RS256", `[1]`), "request.invalid_field"},
		{"no typ", "/jwt/encode", func() any { r := jwtEncodeReq(rsaKey, "RS256", `{}`); r.JWT.Header.Typ = ""; return r }(), "request.invalid_field"},
		{"no password", "/jwt/encode", func() any { r := jwtEncodeReq(rsaKey, "RS256", `{}`); r.Password = ""; return r }(), "request.invalid_field"},
		{"wrong password", "/jwt/encode", func() any { r := jwtEncodeReq(rsaKey, "RS256", `{}`); r.Password = "x"; return r }(), "eds.pkcs12.bad_password"},
		{"HS256", "/jwt/encode", jwtEncodeReq(rsaKey, "HS256", `{}`), "jws.alg_unsupported"},
		{"none", "/jwt/encode", jwtEncodeReq(rsaKey, "none", `{}`), "jws.alg_unsupported"},
		{"GG2015 with RSA", "/jwt/encode", jwtEncodeReq(rsaKey, "GG2015", `{}`), "jws.alg_key_mismatch"},
		{"ES256 with RSA", "/jwt/encode", jwtEncodeReq(rsaKey, "ES256", `{}`), "jws.alg_key_mismatch"},
		{"decode: no jwt", "/jwt/decode", JwtDecodeRequest{Key: cert}, "request.invalid_field"},
		{"decode: no key", "/jwt/decode", JwtDecodeRequest{JWT: &enc.JWT}, "request.invalid_field"},
		{"decode: key not a certificate", "/jwt/decode", JwtDecodeRequest{JWT: &enc.JWT, Key: b64([]byte("x"))}, "eds.cert.malformed"},
		{"decode: two parts", "/jwt/decode", JwtDecodeRequest{JWT: str("a.b"), Key: cert}, "jws.malformed"},
		{"decode: not base64url", "/jwt/decode", JwtDecodeRequest{JWT: str("a.b.%"), Key: cert}, "jws.malformed"},
		{"decode: header not JSON", "/jwt/decode", JwtDecodeRequest{JWT: str("YQ.e30.AA"), Key: cert}, "jws.malformed"},
		{"decode: payload not an object", "/jwt/decode", JwtDecodeRequest{JWT: str(parts[0] + ".WzFd." + parts[2]), Key: cert}, "jws.malformed"},
		{"decode: alg none", "/jwt/decode", JwtDecodeRequest{JWT: &noneTok, Key: cert}, "jws.alg_unsupported"},
		{"decode: alg HS256", "/jwt/decode", JwtDecodeRequest{JWT: &hsTok, Key: cert}, "jws.alg_unsupported"},
		{"decode: GG2015 with an RSA certificate", "/jwt/decode", JwtDecodeRequest{JWT: &ggTok, Key: cert}, "jws.alg_key_mismatch"},
		{"decode: too long", "/jwt/decode", JwtDecodeRequest{JWT: str(strings.Repeat("a", 70000)), Key: cert}, "jws.malformed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, h, c.path, c.body)
			checkError(t, code, body, http.StatusBadRequest, c.code)
		})
	}
}
