package ncanode

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func jwsSigner(k KeyRequest, alg string) JwsSignerRequest {
	return JwsSignerRequest{Alg: alg, Key: k.Key, Password: k.Password, KeyAlias: k.KeyAlias}
}

type jwsDoc struct {
	Payload    *string `json:"payload"`
	Signatures []struct {
		Protected string `json:"protected"`
		Signature string `json:"signature"`
	} `json:"signatures"`
}

// issue 12 item 7: /jws/sign, /jws/sign/add and /jws/verify in NCANode's
// shapes: a GOST signer (trusted NCA chain: valid) and an RSA signer added
// later (self-signed: signature good, certificate untrusted, so not valid);
// the first signature is kept as it was; the payload comes back as JSON.
func TestJWSSignAddVerify(t *testing.T) {
	h := newTestServer(t)
	payload := json.RawMessage(`{"doc": "Заявление", "n": [1, 2.50, {"x": null}]}`)
	var signed JwsSignResponse
	postOK(t, h, "/jws/sign", JwsSignRequest{Payload: payload,
		Signers: []JwsSignerRequest{jwsSigner(key(t, "individual/valid/individual_valid.p12"), "GG2015")}}, &signed)
	var doc jwsDoc
	if err := json.Unmarshal(signed.JWS, &doc); err != nil || doc.Payload == nil || len(doc.Signatures) != 1 {
		t.Fatalf("jws %s", signed.JWS)
	}
	pb, _ := base64.RawURLEncoding.DecodeString(*doc.Payload)
	if string(pb) != `{"doc":"Заявление","n":[1,2.50,{"x":null}]}` {
		t.Errorf("payload serialized as %s", pb)
	}
	hb, _ := base64.RawURLEncoding.DecodeString(doc.Signatures[0].Protected)
	if !strings.HasPrefix(string(hb), `{"alg":"GG2015","typ":"JWT","x5c":["MII`) {
		t.Errorf("protected header %s", hb)
	}

	var added JwsSignResponse
	postOK(t, h, "/jws/sign/add", JwsSignRequest{JWS: signed.JWS, Signers: []JwsSignerRequest{jwsSigner(opensslKey(t, rsaP12), "RS256")}}, &added)
	var doc2 jwsDoc
	json.Unmarshal(added.JWS, &doc2)
	if len(doc2.Signatures) != 2 || doc2.Signatures[0] != doc.Signatures[0] || *doc2.Payload != *doc.Payload {
		t.Fatalf("sign/add: %s", added.JWS)
	}

	var ver JwsVerifyResponse
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: added.JWS, RevocationCheck: []string{"CRL"}}, &ver)
	if ver.Valid || len(ver.Signers) != 2 || string(ver.Payload) != string(pb) {
		t.Fatalf("verify: %+v", ver)
	}
	if g := ver.Signers[0]; !g.Valid || len(g.Errors) != 0 || !g.Certificate.Valid || string(g.Header) != string(hb) ||
		len(g.Certificate.Revocations) != 1 || g.Certificate.Revocations[0].By != "CRL" {
		t.Errorf("GOST signer: %+v", g)
	}
	if r := ver.Signers[1]; r.Valid || r.Certificate.Valid || len(r.Errors) == 0 || r.Errors[0] == "jws.signature_invalid" {
		t.Errorf("RSA signer (untrusted, signature good): %+v", r)
	}

	// Negative: a signer whose certificate the CRL lists as revoked is not valid.
	var rev JwsSignResponse
	postOK(t, h, "/jws/sign", JwsSignRequest{Payload: payload, Signers: []JwsSignerRequest{jwsSigner(key(t, "legal/valid/employee.p12"), "GG2015")}}, &rev)
	var rv JwsVerifyResponse
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: rev.JWS, RevocationCheck: []string{"CRL"}}, &rv)
	if rv.Valid || rv.Signers[0].Valid || !rv.Signers[0].Certificate.Revocations[0].Revoked {
		t.Errorf("revoked signer: %+v", rv.Signers[0])
	}

	// A changed payload: every signature fails.
	tampered := strings.Replace(string(added.JWS), *doc.Payload, base64.RawURLEncoding.EncodeToString([]byte(`{"doc":"x"}`)), 1)
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(tampered)}, &ver)
	if ver.Valid || ver.Signers[0].Valid || ver.Signers[0].Errors[0] != "jws.signature_invalid" || ver.Signers[1].Errors[0] != "jws.signature_invalid" {
		t.Errorf("tampered: %+v", ver)
	}
}

// Detached JWS: the payload is left out, and verification needs it; the
// flattened syntax is read too.
func TestJWSDetachedAndFlattened(t *testing.T) {
	h := newTestServer(t)
	payload := json.RawMessage(`[1,"two"]`)
	var signed JwsSignResponse
	postOK(t, h, "/jws/sign", JwsSignRequest{Payload: payload, Detached: true, Typ: new(string),
		Signers: []JwsSignerRequest{jwsSigner(key(t, "individual/valid/individual_valid.p12"), "GG2015")}}, &signed)
	var doc jwsDoc
	json.Unmarshal(signed.JWS, &doc)
	if doc.Payload != nil || strings.Contains(string(signed.JWS), `"payload"`) {
		t.Fatalf("detached JWS carries a payload: %s", signed.JWS)
	}
	code, body := post(t, h, "/jws/verify", JwsVerifyRequest{JWS: signed.JWS})
	checkError(t, code, body, 400, "request.invalid_field")

	flat, _ := json.Marshal(map[string]string{"protected": doc.Signatures[0].Protected, "signature": doc.Signatures[0].Signature})
	for name, jws := range map[string]json.RawMessage{"general": signed.JWS, "flattened": flat} {
		var ver JwsVerifyResponse
		postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: jws, Payload: payload}, &ver)
		if !ver.Valid || string(ver.Payload) != `[1,"two"]` {
			t.Errorf("%s: %+v", name, ver)
		}
		postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: jws, Payload: json.RawMessage(`[1,"three"]`)}, &ver)
		if ver.Valid {
			t.Errorf("%s: another payload verifies", name)
		}
	}
	// sign/add of a detached JWS needs the payload, and keeps it detached.
	code, body = post(t, h, "/jws/sign/add", JwsSignRequest{JWS: signed.JWS, Signers: []JwsSignerRequest{jwsSigner(opensslKey(t, ecP12), "ES256")}})
	checkError(t, code, body, 400, "request.invalid_field")
	var added JwsSignResponse
	postOK(t, h, "/jws/sign/add", JwsSignRequest{JWS: flat, Payload: payload, Signers: []JwsSignerRequest{jwsSigner(opensslKey(t, ecP12), "ES256")}}, &added)
	var ver JwsVerifyResponse
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: added.JWS, Payload: payload}, &ver)
	if len(ver.Signers) != 2 || !ver.Signers[0].Valid || ver.Signers[1].Errors[0] == "jws.signature_invalid" {
		t.Errorf("added to detached: %+v", ver)
	}
}

// issue 12 item 7: golden NCANode shapes of /jws/sign and /jws/verify (RS256
// is deterministic; the self-signed certificate is not trusted).
func TestJWSGolden(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`{"a":1}`), Signers: []JwsSignerRequest{jwsSigner(opensslKey(t, rsaP12), "RS256")}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "jws-sign-rs256.json", body)
	var signed JwsSignResponse
	json.Unmarshal(body, &signed)
	code, body = post(t, h, "/jws/verify", JwsVerifyRequest{JWS: signed.JWS, RevocationCheck: []string{"OCSP"}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "jws-verify-rs256.json", body)
}

// issue 12 item 7, bad input: /jws/* refusals have stable codes, never a 500.
func TestJWSErrors(t *testing.T) {
	h := newTestServer(t, func(c *Config) { c.MaxSigners = 2 })
	gost := jwsSigner(key(t, "individual/valid/individual_valid.p12"), "GG2015")
	var signed JwsSignResponse
	postOK(t, h, "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`1`), Signers: []JwsSignerRequest{gost}}, &signed)
	var doc jwsDoc
	json.Unmarshal(signed.JWS, &doc)
	p := *doc.Payload
	hdr := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	one := func(protected, sig string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"payload": p, "signatures": []map[string]string{{"protected": protected, "signature": sig}}})
		return b
	}
	sig := doc.Signatures[0].Signature
	leaf := b64(readCert(t, "leaf/individual_valid.cer").Raw)
	three, _ := json.Marshal(map[string]any{"payload": p, "signatures": []any{doc.Signatures[0], doc.Signatures[0], doc.Signatures[0]}})
	for _, c := range []struct {
		name string
		path string
		body any
		code string
	}{
		{"sign: no payload", "/jws/sign", JwsSignRequest{Signers: []JwsSignerRequest{gost}}, "request.invalid_field"},
		{"sign: null payload", "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`null`), Signers: []JwsSignerRequest{gost}}, "request.invalid_field"},
		{"sign: no signers", "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`1`)}, "request.invalid_field"},
		{"sign: no alg", "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`1`), Signers: []JwsSignerRequest{{Key: gost.Key, Password: gost.Password}}}, "request.invalid_field"},
		{"sign: HS256", "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`1`), Signers: []JwsSignerRequest{jwsSigner(key(t, "individual/valid/individual_valid.p12"), "HS256")}}, "jws.alg_unsupported"},
		{"sign: RS256 with GOST", "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`1`), Signers: []JwsSignerRequest{jwsSigner(key(t, "individual/valid/individual_valid.p12"), "RS256")}}, "jws.alg_key_mismatch"},
		{"sign: payload not JSON", "/jws/sign", `{"payload":nope,"signers":[]}`, "request.malformed_json"},
		{"add: no jws", "/jws/sign/add", JwsSignRequest{Signers: []JwsSignerRequest{gost}}, "request.invalid_field"},
		{"add: jws not an object", "/jws/sign/add", JwsSignRequest{JWS: json.RawMessage(`"a.b.c"`), Signers: []JwsSignerRequest{gost}}, "jws.malformed"},
		{"add: over the signature limit", "/jws/sign/add", JwsSignRequest{JWS: signed.JWS, Signers: []JwsSignerRequest{gost, gost}}, "request.invalid_field"},
		{"verify: no jws", "/jws/verify", JwsVerifyRequest{}, "request.invalid_field"},
		{"verify: compact string", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`"a.b.c"`)}, "jws.malformed"},
		{"verify: no signatures", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`{"payload":"` + p + `"}`)}, "jws.malformed"},
		{"verify: signatures not an array", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`{"payload":"` + p + `","signatures":{}}`)}, "jws.malformed"},
		{"verify: too many signatures", "/jws/verify", JwsVerifyRequest{JWS: three}, "request.invalid_field"},
		{"verify: payload not base64url", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`{"payload":"%%","signatures":[]}`)}, "jws.malformed"},
		{"verify: payload not JSON", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`{"payload":"` + hdr("not json") + `","signatures":[]}`)}, "jws.malformed"},
		{"verify: signature without protected", "/jws/verify", JwsVerifyRequest{JWS: json.RawMessage(`{"payload":"` + p + `","signatures":[{"signature":"AA"}]}`)}, "jws.malformed"},
		{"verify: protected not base64url", "/jws/verify", JwsVerifyRequest{JWS: one("%%", sig)}, "jws.malformed"},
		{"verify: protected not JSON", "/jws/verify", JwsVerifyRequest{JWS: one(hdr("x"), sig)}, "jws.malformed"},
		{"verify: no alg", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"x5c":["`+leaf+`"]}`), sig)}, "jws.malformed"},
		{"verify: no x5c", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"alg":"GG2015"}`), sig)}, "jws.malformed"},
		{"verify: x5c not base64", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"alg":"GG2015","x5c":["%%"]}`), sig)}, "eds.cert.malformed"},
		{"verify: x5c not a certificate", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"alg":"GG2015","x5c":["AAAA"]}`), sig)}, "eds.cert.malformed"},
		{"verify: alg none", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"alg":"none","x5c":["`+leaf+`"]}`), "")}, "jws.alg_unsupported"},
		{"verify: alg not the key's", "/jws/verify", JwsVerifyRequest{JWS: one(hdr(`{"alg":"ES256","x5c":["`+leaf+`"]}`), sig)}, "jws.alg_key_mismatch"},
		{"verify: bad revocationCheck", "/jws/verify", JwsVerifyRequest{JWS: signed.JWS, RevocationCheck: []string{"X"}}, "request.invalid_field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, h, c.path, c.body)
			checkError(t, code, body, http.StatusBadRequest, c.code)
		})
	}
	// A signature that does not verify is not an error: 200, valid false.
	var ver JwsVerifyResponse
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: one(doc.Signatures[0].Protected, "AAAA")}, &ver)
	if ver.Valid || ver.Signers[0].Errors[0] != "jws.signature_invalid" {
		t.Errorf("bad signature: %+v", ver)
	}
}
