package ncanode

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pki"
)

// NCANode v3's JWT and JWS endpoints (JwtController, JwsController): compact JWT
// signed with a key from the request, checked against a certificate from the
// request; JWS in the JSON serialization (RFC 7515 7.2) with the signer's
// certificate in each protected header's x5c. Algorithms: NCANode's GG2015 and
// GG2004 (GOST), ES256/384/512, RS256/384/512 (package eds/jws).

// --- requests and responses ---

// JwtEncodeRequest is the body of POST /jwt/encode.
type JwtEncodeRequest struct {
	JWT *struct {
		Header *struct {
			Alg string `json:"alg"`
			Typ string `json:"typ"`
		} `json:"header"`
		Payload json.RawMessage `json:"payload"` // the claims, a JSON object
	} `json:"jwt"`
	Key      string `json:"key"`
	Password string `json:"password"`
	KeyAlias string `json:"keyAlias"`
}

// JwtEncodeResponse answers /jwt/encode.
type JwtEncodeResponse struct {
	Status
	JWT string `json:"jwt"`
}

// JwtDecodeRequest is the body of POST /jwt/decode.
type JwtDecodeRequest struct {
	JWT *string `json:"jwt"`
	Key string  `json:"key"` // Base64 of the signer's certificate (DER or PEM), or PEM
}

// JwtDecodeResponse answers /jwt/decode. Errors extends it.
type JwtDecodeResponse struct {
	Status
	Valid bool       `json:"valid"`
	JWT   JwtDecoded `json:"jwt"`
	// Errors (extension): why valid is false (jws.signature_invalid, jws.expired,
	// jws.not_yet_valid).
	Errors []string `json:"errors,omitempty"`
}

// JwtDecoded is the decoded token: the header's alg and typ (null when absent),
// and the claims in the token's order.
type JwtDecoded struct {
	Header struct {
		Alg string  `json:"alg"`
		Typ *string `json:"typ"`
	} `json:"header"`
	Payload json.RawMessage `json:"payload"`
}

// JwsSignerRequest is one signer of /jws/sign: the algorithm and the key.
type JwsSignerRequest struct {
	Alg      string `json:"alg"`
	Key      string `json:"key"`
	Password string `json:"password"`
	KeyAlias string `json:"keyAlias"`
}

// JwsSignRequest is the body of POST /jws/sign and /jws/sign/add (which also
// needs JWS, and Payload when that JWS is detached).
type JwsSignRequest struct {
	JWS      json.RawMessage    `json:"jws"`
	Payload  json.RawMessage    `json:"payload"` // any JSON value
	Detached bool               `json:"detached"`
	Typ      *string            `json:"typ"` // default "JWT"
	Signers  []JwsSignerRequest `json:"signers"`
}

// JwsSignResponse answers /jws/sign and /jws/sign/add: the JWS in the general
// JSON serialization, {payload?, signatures: [{protected, signature}]}.
type JwsSignResponse struct {
	Status
	JWS json.RawMessage `json:"jws"`
}

// JwsVerifyRequest is the body of POST /jws/verify.
type JwsVerifyRequest struct {
	JWS             json.RawMessage `json:"jws"`     // general or flattened JSON serialization
	Payload         json.RawMessage `json:"payload"` // the payload of a detached JWS
	RevocationCheck []string        `json:"revocationCheck"`
}

// JwsVerifyResponse answers /jws/verify.
type JwsVerifyResponse struct {
	Status
	Valid   bool            `json:"valid"`
	Signers []JwsSignerInfo `json:"signers"`
	Payload json.RawMessage `json:"payload"`
}

// JwsSignerInfo is one signature of a JWS: NCANode's JwsSignerInfo. Errors
// extends it.
type JwsSignerInfo struct {
	// Valid: the signature verifies with the key of x5c's first certificate, and
	// that certificate is valid now (chain to a configured anchor, requested
	// revocation checks).
	Valid       bool            `json:"valid"`
	Header      json.RawMessage `json:"header"` // the protected header, as signed
	Certificate CertificateInfo `json:"certificate"`
	Errors      []string        `json:"errors,omitempty"`
}

// --- JSON helpers ---

// marshalNoEscape is json.Marshal without HTML escaping (as Jackson writes).
func marshalNoEscape(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(v) // only strings and plain structs: cannot fail
	return bytes.TrimRight(b.Bytes(), "\n")
}

// compactJSON returns raw without insignificant white space, keeping member
// order and number literals; false when raw is not one JSON value.
func compactJSON(raw []byte) ([]byte, bool) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil || !json.Valid(raw) {
		return nil, false
	}
	return b.Bytes(), true
}

type member struct {
	key string
	val json.RawMessage
}

// objectMembers reads a JSON object's members in order; a repeated key keeps
// its first place and takes the last value (as Jackson's map). False when raw
// is not an object.
func objectMembers(raw []byte) ([]member, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var out []member
	at := map[string]int{}
	for d.More() {
		t, err := d.Token()
		k, ok := t.(string)
		if err != nil || !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		v, _ = compactJSON(v)
		if i, seen := at[k]; seen {
			out[i].val = v
			continue
		}
		at[k] = len(out)
		out = append(out, member{k, v})
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if _, err := d.Token(); err == nil {
		return nil, false // trailing data
	}
	return out, true
}

func writeObject(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshalNoEscape(m.key))
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

var b64u = base64.RawURLEncoding

// decodeB64URL reads base64url with or without padding (Java's URL decoder).
func decodeB64URL(s string) ([]byte, error) {
	return b64u.Strict().DecodeString(strings.TrimRight(s, "="))
}

func joseFail(err error, message string) error {
	var code interface{ Code() string }
	if errors.As(err, &code) {
		return err
	}
	return fail(http.StatusBadRequest, jws.ErrMalformed, message, err)
}

func malformedJOSE(message string) error {
	return fail(http.StatusBadRequest, jws.ErrMalformed, message, nil)
}

// --- /jwt/encode, /jwt/decode ---

// jwtEncode signs the claims as NCANode (java-jwt's JWT.create()): header
// {"alg": alg, "typ": "JWT"} — java-jwt writes typ "JWT" whatever the request's
// typ — and the claims in request order; a null claim is left out. A nested
// array or object is kept as JSON (NCANode writes its Java toString() as a
// string, which no verifier could read back).
func (a *API) jwtEncode(ctx context.Context, body []byte) (any, error) {
	var req JwtEncodeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.JWT == nil:
		return nil, invalidField("jwt", "required")
	case req.JWT.Header == nil:
		return nil, invalidField("jwt.header", "required")
	case req.JWT.Header.Alg == "":
		return nil, invalidField("jwt.header.alg", "required")
	case req.JWT.Header.Typ == "":
		return nil, invalidField("jwt.header.typ", "required")
	case req.Password == "":
		return nil, invalidField("password", "required")
	}
	claims, isObj := objectMembers(req.JWT.Payload)
	if !isObj {
		return nil, invalidField("jwt.payload", "must be a JSON object")
	}
	kept := claims[:0]
	for _, c := range claims {
		if string(c.val) != "null" {
			kept = append(kept, c)
		}
	}
	e, err := openKey("key", KeyRequest{Key: req.Key, Password: req.Password, KeyAlias: req.KeyAlias})
	if err != nil {
		return nil, err
	}
	header := marshalNoEscape(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}{req.JWT.Header.Alg, "JWT"})
	input := b64u.EncodeToString(header) + "." + b64u.EncodeToString(writeObject(kept))
	sig, err := jws.SignRaw(e.PrivateKey, req.JWT.Header.Alg, []byte(input))
	if err != nil {
		return nil, err
	}
	return JwtEncodeResponse{Status: ok, JWT: input + "." + b64u.EncodeToString(sig)}, nil
}

// jwtDecode checks a compact JWT against the certificate in key, as NCANode: a
// token that does not parse, an unknown alg or one the certificate's key cannot
// have made is 400; a signature that does not verify, an exp in the past, an nbf
// or iat in the future give 200 with valid false. The certificate itself is
// not validated (the caller chose it), as NCANode.
func (a *API) jwtDecode(ctx context.Context, body []byte) (any, error) {
	var req JwtDecodeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.JWT == nil {
		return nil, invalidField("jwt", "required")
	}
	if req.Key == "" {
		return nil, invalidField("key", "required")
	}
	certs, err := parseCertField("key", req.Key)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fail(http.StatusBadRequest, pki.ErrMalformedCert, "key: one certificate is required", nil)
	}
	if len(*req.JWT) > jws.MaxSize {
		return nil, malformedJOSE(fmt.Sprintf("jwt: longer than %d bytes", jws.MaxSize))
	}
	parts := strings.Split(*req.JWT, ".")
	if len(parts) != 3 {
		return nil, malformedJOSE("jwt: The token was expected to have 3 parts")
	}
	hb, err1 := decodeB64URL(parts[0])
	pb, err2 := decodeB64URL(parts[1])
	sig, err3 := decodeB64URL(parts[2])
	if errors.Join(err1, err2, err3) != nil {
		return nil, malformedJOSE("jwt: a part is not base64url")
	}
	var hdr struct {
		Alg *string         `json:"alg"`
		Typ json.RawMessage `json:"typ"`
	}
	if _, isObj := objectMembers(hb); !isObj || json.Unmarshal(hb, &hdr) != nil || hdr.Alg == nil {
		return nil, malformedJOSE("jwt: the header is not a JSON object with alg")
	}
	claims, isObj := objectMembers(pb)
	if !isObj {
		return nil, malformedJOSE("jwt: the payload is not a JSON object")
	}
	resp := JwtDecodeResponse{Status: ok, Valid: true}
	resp.JWT.Header.Alg = *hdr.Alg
	var typ string
	if json.Unmarshal(hdr.Typ, &typ) == nil && len(hdr.Typ) > 0 && string(hdr.Typ) != "null" {
		resp.JWT.Header.Typ = &typ
	}
	resp.JWT.Payload = writeObject(claims)
	if err := jws.VerifyRaw(certs[0], *hdr.Alg, []byte(parts[0]+"."+parts[1]), sig); err != nil {
		if !errors.Is(err, jws.ErrSignatureInvalid) {
			return nil, err // unknown alg, or one the key cannot make: 400 as NCANode
		}
		resp.Valid = false
		resp.Errors = append(resp.Errors, jws.ErrSignatureInvalid.Code())
	}
	if err := checkTimeClaims(claims, a.cfg.Now()); err != nil {
		resp.Valid = false
		resp.Errors = append(resp.Errors, codeOf(err))
	}
	return resp, nil
}

// checkTimeClaims applies java-jwt's default checks at now (seconds, no
// leeway): exp not before now, nbf and iat not after now. A time claim that is
// not a number fails.
func checkTimeClaims(claims []member, now time.Time) error {
	sec := now.Unix()
	for _, c := range claims {
		if c.key != "exp" && c.key != "nbf" && c.key != "iat" {
			continue
		}
		var f float64
		if err := json.Unmarshal(c.val, &f); err != nil || math.IsNaN(f) {
			if c.key == "exp" {
				return jws.ErrExpired
			}
			return jws.ErrNotYetValid
		}
		v := int64(math.Floor(f))
		switch {
		case c.key == "exp" && sec > v:
			return jws.ErrExpired
		case c.key != "exp" && sec < v:
			return jws.ErrNotYetValid
		}
	}
	return nil
}

// --- /jws/sign, /jws/sign/add, /jws/verify ---

type jwsSig struct {
	Protected string `json:"protected"`
	Signature string `json:"signature"`
}

// signJWS makes one signatures[] entry: protected header {alg, typ, x5c}.
func (a *API) signJWS(i int, s JwsSignerRequest, payloadB64, typ string) (json.RawMessage, error) {
	field := fmt.Sprintf("signers[%d]", i)
	if s.Alg == "" {
		return nil, invalidField(field+".alg", "required")
	}
	e, err := openKey(field, KeyRequest{Key: s.Key, Password: s.Password, KeyAlias: s.KeyAlias})
	if err != nil {
		return nil, err
	}
	header := marshalNoEscape(struct {
		Alg string   `json:"alg"`
		Typ string   `json:"typ"`
		X5C []string `json:"x5c"`
	}{s.Alg, typ, []string{base64.StdEncoding.EncodeToString(e.Certificate.Raw)}})
	protected := b64u.EncodeToString(header)
	sig, err := jws.SignRaw(e.PrivateKey, s.Alg, []byte(protected+"."+payloadB64))
	if err != nil {
		return nil, err
	}
	return marshalNoEscape(jwsSig{protected, b64u.EncodeToString(sig)}), nil
}

func (a *API) jwsSignCommon(req *JwsSignRequest, payloadB64 string, existing []json.RawMessage, detached bool) (any, error) {
	if err := a.count("signers", len(req.Signers)); err != nil {
		return nil, err
	}
	if len(existing)+len(req.Signers) > a.cfg.MaxSigners {
		return nil, invalidField("signers", fmt.Sprintf("a JWS may have at most %d signatures", a.cfg.MaxSigners))
	}
	typ := "JWT"
	if req.Typ != nil {
		typ = *req.Typ
	}
	sigs := append([]json.RawMessage{}, existing...)
	for i, s := range req.Signers {
		n, err := a.signJWS(i, s, payloadB64, typ)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, n)
	}
	out := struct {
		Payload    *string           `json:"payload,omitempty"`
		Signatures []json.RawMessage `json:"signatures"`
	}{Signatures: sigs}
	if !detached {
		out.Payload = &payloadB64
	}
	return JwsSignResponse{Status: ok, JWS: marshalNoEscape(out)}, nil
}

// payloadB64 serializes a request's payload compactly (member order and number
// literals kept) and encodes it.
func payloadB64(field string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", invalidField(field, "required")
	}
	c, _ := compactJSON(raw) // the request decoder checked it is JSON
	return b64u.EncodeToString(c), nil
}

// jwsSign makes a JWS of payload (any JSON value) with every signer.
func (a *API) jwsSign(ctx context.Context, body []byte) (any, error) {
	var req JwsSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	p, err := payloadB64("payload", req.Payload)
	if err != nil {
		return nil, err
	}
	return a.jwsSignCommon(&req, p, nil, req.Detached)
}

// parsedJWS is a JWS in the JSON serialization, flattened normalized to general.
type parsedJWS struct {
	payload    *string
	signatures []json.RawMessage
}

func parseJWS(raw json.RawMessage, maxSigs int) (*parsedJWS, error) {
	if _, isObj := objectMembers(raw); !isObj {
		return nil, malformedJOSE("jws: must be a JSON object (the JSON serialization)")
	}
	var in struct {
		Payload    *string           `json:"payload"`
		Signatures []json.RawMessage `json:"signatures"`
		Protected  json.RawMessage   `json:"protected"`
		Signature  json.RawMessage   `json:"signature"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, joseFail(err, "jws: members of the wrong type")
	}
	p := &parsedJWS{signatures: in.Signatures}
	if in.Payload != nil && *in.Payload != "" {
		p.payload = in.Payload
	}
	if in.Signatures == nil && in.Signature != nil {
		p.signatures = []json.RawMessage{marshalNoEscape(struct {
			Protected json.RawMessage `json:"protected"`
			Signature json.RawMessage `json:"signature"`
		}{in.Protected, in.Signature})}
	}
	if len(p.signatures) > maxSigs {
		return nil, invalidField("jws", fmt.Sprintf("at most %d signatures", maxSigs))
	}
	return p, nil
}

// jwsSignAdd adds signers to an existing JWS, keeping its signatures as they are.
func (a *API) jwsSignAdd(ctx context.Context, body []byte) (any, error) {
	var req JwsSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.JWS) == 0 || string(req.JWS) == "null" {
		return nil, invalidField("jws", "required")
	}
	in, err := parseJWS(req.JWS, a.cfg.MaxSigners)
	if err != nil {
		return nil, err
	}
	var p string
	if in.payload != nil {
		p = *in.payload
		if _, err := decodeB64URL(p); err != nil {
			return nil, malformedJOSE("jws.payload: not base64url")
		}
	} else if p, err = payloadB64("payload", req.Payload); err != nil {
		return nil, fail(http.StatusBadRequest, ErrInvalidField, "payload must be specified for detached JWS", nil)
	}
	return a.jwsSignCommon(&req, p, in.signatures, in.payload == nil)
}

// jwsVerify checks every signature of a JWS with the key of its x5c[0]
// certificate and validates that certificate now (trust anchors and the
// requested revocation checks; NCANode checks the certificate only when
// revocationCheck is given). A signature that fails is 200 with valid false;
// a JWS that does not parse, a signature without x5c or an unknown alg is 400.
func (a *API) jwsVerify(ctx context.Context, body []byte) (any, error) {
	var req JwsVerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	if len(req.JWS) == 0 || string(req.JWS) == "null" {
		return nil, invalidField("jws", "required")
	}
	in, err := parseJWS(req.JWS, a.cfg.MaxSigners)
	if err != nil {
		return nil, err
	}
	var p string
	var payload json.RawMessage
	if in.payload != nil {
		p = *in.payload
		pb, err := decodeB64URL(p)
		if err != nil {
			return nil, malformedJOSE("jws.payload: not base64url")
		}
		c, isJSON := compactJSON(pb)
		if !isJSON {
			return nil, malformedJOSE("jws.payload: not JSON")
		}
		payload = c
	} else {
		if p, err = payloadB64("payload", req.Payload); err != nil {
			return nil, fail(http.StatusBadRequest, ErrInvalidField, "payload must be specified for detached JWS", nil)
		}
		payload, _ = compactJSON(req.Payload)
	}
	if len(in.signatures) == 0 {
		return nil, malformedJOSE("JWS has no signatures")
	}
	resp := JwsVerifyResponse{Status: ok, Valid: true, Signers: []JwsSignerInfo{}, Payload: payload}
	for i, raw := range in.signatures {
		si, err := a.verifyJWSSignature(ctx, i, raw, p, methods)
		if err != nil {
			return nil, err
		}
		resp.Valid = resp.Valid && si.Valid
		resp.Signers = append(resp.Signers, *si)
	}
	return resp, nil
}

func (a *API) verifyJWSSignature(ctx context.Context, i int, raw json.RawMessage, payloadB64 string, methods []pki.RevocationMethod) (*JwsSignerInfo, error) {
	field := fmt.Sprintf("jws.signatures[%d]", i)
	var s struct {
		Protected *string `json:"protected"`
		Signature *string `json:"signature"`
	}
	if _, isObj := objectMembers(raw); !isObj || json.Unmarshal(raw, &s) != nil || s.Protected == nil || s.Signature == nil {
		return nil, malformedJOSE(field + ": needs protected and signature strings")
	}
	hb, err1 := decodeB64URL(*s.Protected)
	sig, err2 := decodeB64URL(*s.Signature)
	if errors.Join(err1, err2) != nil {
		return nil, malformedJOSE(field + ": not base64url")
	}
	header, isObj := compactJSON(hb)
	var h struct {
		Alg *string  `json:"alg"`
		X5C []string `json:"x5c"`
	}
	if _, obj := objectMembers(hb); !isObj || !obj || json.Unmarshal(hb, &h) != nil || h.Alg == nil {
		return nil, malformedJOSE(field + ": the protected header is not a JSON object with alg")
	}
	if len(h.X5C) == 0 {
		return nil, malformedJOSE(field + ": Signature protected header has no x5c certificate")
	}
	if len(h.X5C) > 8 {
		return nil, malformedJOSE(field + ": x5c holds more than 8 certificates")
	}
	var chain []*x509.Certificate
	for j, c := range h.X5C {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
		if err != nil {
			return nil, fail(http.StatusBadRequest, pki.ErrMalformedCert, fmt.Sprintf("%s: x5c[%d] is not Base64", field, j), nil)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fail(http.StatusBadRequest, pki.ErrMalformedCert, fmt.Sprintf("%s: x5c[%d] is not a certificate", field, j), err)
		}
		chain = append(chain, cert)
	}
	sigErr := jws.VerifyRaw(chain[0], *h.Alg, []byte(*s.Protected+"."+payloadB64), sig)
	if sigErr != nil && !errors.Is(sigErr, jws.ErrSignatureInvalid) {
		return nil, sigErr
	}
	ci := a.certificateInfo(ctx, chain[0], chain[1:], methods)
	si := &JwsSignerInfo{Valid: sigErr == nil && ci.Valid, Header: header, Certificate: ci}
	if sigErr != nil {
		si.Errors = append(si.Errors, jws.ErrSignatureInvalid.Code())
	}
	si.Errors = append(si.Errors, ci.Errors...)
	if !ci.Valid && len(ci.Errors) == 0 {
		si.Errors = append(si.Errors, pki.ErrUntrusted.Code())
	}
	return si, nil
}

// --- /x509/sign ---

// X509SignRequest is the body of POST /x509/sign (NCANode's SbaSignRequest).
type X509SignRequest struct {
	Data      string      `json:"data"` // the text to sign, signed as its UTF-8 bytes
	Signer    *KeyRequest `json:"signer"`
	TsaPolicy string      `json:"tsaPolicy"` // accepted and unused, as NCANode
}

// X509SignResponse answers /x509/sign: the signer's certificate and the raw
// signature, both Base64.
type X509SignResponse struct {
	Status
	Certificate string `json:"certificate"`
	Signature   string `json:"signature"`
}

// x509Sign makes the raw signature /x509/verify checks: over the UTF-8 bytes of
// data, by the signature algorithm of the signer's certificate (NCANode:
// Signature.getInstance(cert.getSigAlgName())).
func (a *API) x509Sign(ctx context.Context, body []byte) (any, error) {
	var req X509SignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Data == "" {
		return nil, invalidField("data", "required")
	}
	if req.Signer == nil {
		return nil, invalidField("signer", "required")
	}
	e, err := openKey("signer", *req.Signer)
	if err != nil {
		return nil, err
	}
	oid, err := asn1OID(pki.Info(e.Certificate).SignatureAlgorithmOID)
	if err != nil {
		return nil, fail(http.StatusBadRequest, eds.ErrUnknownAlgorithm, "", err)
	}
	k, err := e.PrivateKey.WithAlgorithm(oid)
	if err != nil {
		return nil, err // the certificate's algorithm is not one of the key's type
	}
	sig, err := k.Sign(nil, []byte(req.Data))
	if err != nil {
		return nil, err
	}
	return X509SignResponse{Status: ok, Certificate: base64.StdEncoding.EncodeToString(e.Certificate.Raw),
		Signature: base64.StdEncoding.EncodeToString(sig)}, nil
}
