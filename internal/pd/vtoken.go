package pd

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/kzid"
)

// VerificationTokenType is the "typ" header of a verification token in JWS form.
//
// A verification token is made and signed by the initiator with its EDS key. Two forms
// are accepted:
//
//   - compact JWS (RFC 7515) whose protected header carries x5c (the certificate chain,
//     leaf first) and typ "senim-vt+jwt"; alg is one of package eds/jws's names:
//     "GOST3410-2015-512" (Streebog-512, signature r‖s in the Kazakh little-endian
//     order), "GOST3410-2015-256", "GOST34310-2004", ES256/ES384/ES512, RS256/RS384/
//     RS512, EdDSA;
//   - CMS SignedData (what NCALayer makes), attached, base64 (standard), whose content
//     is the same JSON claims; the signer's certificate travels in the CMS.
//
// The claims are VerificationClaims.
const VerificationTokenType = "senim-vt+jwt"

// VerificationClaims are the claims of a verification token.
type VerificationClaims struct {
	Issuer   string `json:"iss"` // the initiator's BIN
	Subject  string `json:"sub"` // the subject's IIN
	IssuedAt int64  `json:"iat"` // when the token was formed (Unix seconds)
	ID       string `json:"jti"` // unique per initiator; a token is accepted once
	Mode     string `json:"mode"`
	// ServiceCode (proactive) or GroundCode (protocol).
	ServiceCode string        `json:"service_code,omitempty"`
	GroundCode  string        `json:"ground_code,omitempty"`
	Consent     *ConsentClaim `json:"consent"`
	// AccessMethods are the ways of access asked for (PD-6.1.7), e.g. ["api"].
	AccessMethods []string `json:"access_methods,omitempty"`
	Owner         string   `json:"owner"` // the data owner's BIN
	Scope         []string `json:"scope"` // data sets
	Purpose       string   `json:"purpose,omitempty"`
}

// ConsentClaim says whether and how the subject's consent was obtained.
type ConsentClaim struct {
	Obtained    bool   `json:"obtained"`
	Method      string `json:"method,omitempty"`       // biometric | eds | paper
	EvidenceRef string `json:"evidence_ref,omitempty"` // the consent id Senim returned, or the initiator's reference
}

// vtoken is a verification token whose signature and chain were checked.
type vtoken struct {
	claims  VerificationClaims
	certBIN string
}

// stepPresent is PD-6.1.3 / PD-6.2.2: the token is present.
func stepPresent(raw string, rule string) error {
	if strings.TrimSpace(raw) == "" {
		return ErrVTMissing.WithRule(rule)
	}
	return nil
}

// stepSignature is PD-6.1.4 / PD-6.2.2: the token parses, its certificate chain is
// valid at now and its signature verifies with the certificate's key.
func (s *Service) stepSignature(ctx context.Context, raw, rule string) (*vtoken, error) {
	raw = strings.TrimSpace(raw)
	if strings.Count(raw, ".") == 2 {
		return s.jwsToken(ctx, raw, rule)
	}
	return s.cmsToken(ctx, raw, rule)
}

func (s *Service) jwsToken(ctx context.Context, raw, rule string) (*vtoken, error) {
	if vt, ok, err := s.jwsFast(ctx, raw, rule); ok {
		return vt, err
	}
	tok, err := jws.Parse(raw)
	if errors.Is(err, jws.ErrUnsupportedAlg) {
		return nil, ErrVTAlg.WithDetail("alg must be a GOST, ES, RS or EdDSA algorithm with an x5c chain").WithRule(rule)
	}
	if err != nil {
		return nil, ErrVTMalformed.WithDetail("a compact JWS with an x5c certificate chain is expected").WithRule(ruleMalformed(rule))
	}
	if tok.Header.Typ != VerificationTokenType {
		return nil, ErrVTMalformed.WithDetail("typ must be " + VerificationTokenType).WithRule(ruleMalformed(rule))
	}
	bin, err := s.checkChain(ctx, tok.Chain, rule)
	if err != nil {
		return nil, err
	}
	if err := tok.Verify(); err != nil {
		if errors.Is(err, jws.ErrAlgKeyMismatch) {
			return nil, ErrVTAlg.WithDetail("alg does not match the certificate's key").WithRule(rule)
		}
		return nil, ErrVTSignature.WithRule(rule)
	}
	vt := &vtoken{certBIN: bin}
	if err := decodeClaims(tok.Payload, &vt.claims); err != nil {
		return nil, err
	}
	s.headers.put(raw[:strings.IndexByte(raw, '.')], tok)
	return vt, nil
}

// headerCache remembers, by the protected header's base64url text, the parsed
// certificate chain and key of verification tokens whose signature verified, so an
// initiator's many tokens (same header, same x5c) are not re-parsed each time. The
// chain is still validated through chainCache (its TTL) on every token.
type headerCache struct {
	mu sync.RWMutex
	m  map[string]*parsedHeader
}

type parsedHeader struct {
	chain []*x509.Certificate
	pub   *eds.PublicKey
	alg   jwsAlg
}

// jwsAlg is what package jws's alg names mean (kept in step by TestJWSAlgs).
type jwsAlg struct {
	oid   asn1.ObjectIdentifier
	ecLen int
	hash  crypto.Hash
}

var jwsAlgs = map[string]jwsAlg{
	"GOST3410-2015-512": {oid: eds.OIDSignGOST2015_512},
	"GOST3410-2015-256": {oid: eds.OIDSignGOST2015_256},
	"GOST34310-2004":    {oid: eds.OIDSignGOST2004},
	"ES256":             {oid: eds.OIDSignECDSAWithSHA256, ecLen: 32, hash: crypto.SHA256},
	"ES384":             {oid: eds.OIDSignECDSAWithSHA384, ecLen: 48, hash: crypto.SHA384},
	"ES512":             {oid: eds.OIDSignECDSAWithSHA512, ecLen: 66, hash: crypto.SHA512},
	"RS256":             {oid: eds.OIDSignSHA256WithRSA},
	"RS384":             {oid: eds.OIDSignSHA384WithRSA},
	"RS512":             {oid: eds.OIDSignSHA512WithRSA},
	"EdDSA":             {oid: eds.OIDSignEd25519},
}

func (h *headerCache) get(k string) *parsedHeader {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.m[k]
}

func (h *headerCache) put(k string, tok *jws.Token) {
	alg, ok := jwsAlgs[tok.Header.Alg]
	if !ok {
		return
	}
	pub, err := eds.ParsePublicKey(tok.Chain[0].RawSubjectPublicKeyInfo)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) > 10_000 {
		h.m = map[string]*parsedHeader{}
	}
	h.m[k] = &parsedHeader{chain: tok.Chain, pub: pub, alg: alg}
}

// jwsFast verifies a token whose header was seen before; ok is false when it was not
// (the caller takes the full path).
func (s *Service) jwsFast(ctx context.Context, raw, rule string) (*vtoken, bool, error) {
	i := strings.IndexByte(raw, '.')
	j := strings.LastIndexByte(raw, '.')
	if i <= 0 || j <= i || len(raw) > jws.MaxSize {
		return nil, false, nil
	}
	ph := s.headers.get(raw[:i])
	if ph == nil {
		return nil, false, nil
	}
	bin, err := s.checkChain(ctx, ph.chain, rule)
	if err != nil {
		return nil, true, err
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(raw[i+1 : j])
	sig, err2 := base64.RawURLEncoding.DecodeString(raw[j+1:])
	if err1 != nil || err2 != nil {
		return nil, true, ErrVTMalformed.WithDetail("bad base64url").WithRule(ruleMalformed(rule))
	}
	input := []byte(raw[:j])
	if ph.alg.ecLen > 0 {
		pub, ok := ph.pub.Key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*ph.alg.ecLen {
			return nil, true, ErrVTSignature.WithRule(rule)
		}
		h := ph.alg.hash.New()
		h.Write(input)
		r, ss := new(big.Int).SetBytes(sig[:ph.alg.ecLen]), new(big.Int).SetBytes(sig[ph.alg.ecLen:])
		if !ecdsa.Verify(pub, h.Sum(nil), r, ss) {
			return nil, true, ErrVTSignature.WithRule(rule)
		}
	} else if err := eds.VerifySignature(ph.pub, ph.alg.oid, input, sig); err != nil {
		return nil, true, ErrVTSignature.WithRule(rule)
	}
	vt := &vtoken{certBIN: bin}
	if err := decodeClaims(payload, &vt.claims); err != nil {
		return nil, true, err
	}
	return vt, true, nil
}

// cmsToken accepts an attached CMS SignedData (base64) whose content is the claims.
func (s *Service) cmsToken(ctx context.Context, raw, rule string) (*vtoken, error) {
	der, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(der) == 0 || len(der) > jws.MaxSize {
		return nil, ErrVTMalformed.WithDetail("a compact JWS or a base64 CMS SignedData is expected").WithRule(ruleMalformed(rule))
	}
	res, err := cms.Verify(ctx, der, nil, cms.VerifyOptions{Now: s.now})
	if err != nil || res.Detached || len(res.Signers) != 1 || res.Signers[0].Cert == nil {
		return nil, ErrVTMalformed.WithDetail("the CMS must be attached, with one signer whose certificate it carries").WithRule(ruleMalformed(rule))
	}
	sr := res.Signers[0]
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, ErrVTMalformed.WithRule(ruleMalformed(rule))
	}
	chain := []*x509.Certificate{sr.Cert}
	for _, c := range sd.Certificates {
		if !c.Equal(sr.Cert) {
			chain = append(chain, c)
		}
	}
	bin, err := s.checkChain(ctx, chain, rule)
	if err != nil {
		return nil, err
	}
	if !sr.SignatureValid || !sr.DigestValid {
		return nil, ErrVTSignature.WithRule(rule)
	}
	vt := &vtoken{certBIN: bin}
	if err := decodeClaims(res.Content, &vt.claims); err != nil {
		return nil, err
	}
	return vt, nil
}

func ruleMalformed(rule string) string {
	if rule == "PD-6.1.4" {
		return "PD-6.1.3"
	}
	return rule
}

func decodeClaims(b []byte, c *VerificationClaims) error {
	if err := json.Unmarshal(b, c); err != nil {
		return ErrVTClaims.WithDetail("the payload is not the JSON claims of a verification token")
	}
	return nil
}

// checkChain validates the certificate chain (cached by the chain's bytes) and returns
// the BIN of the leaf.
func (s *Service) checkChain(ctx context.Context, chain []*x509.Certificate, rule string) (string, error) {
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.Raw)
	}
	var key [32]byte
	h.Sum(key[:0])
	now := s.now()
	if bin, ok := s.chains.get(key, now); ok {
		return bin, nil
	}
	leaf := chain[0]
	res := s.cfg.Validator.Validate(ctx, leaf, now, pki.Options{Revocation: s.cfg.Revocation, Intermediates: chain[1:]})
	if !res.Valid {
		code := "eds.cert.untrusted"
		if len(res.Errors) > 0 {
			if c := pki.Code(res.Errors[0]); c != "" {
				code = c
			}
		}
		return "", ErrVTCertificate.WithDetail(code).With("cause", code).WithRule(rule)
	}
	bin := pki.Info(leaf).Subject.BIN
	until := now.Add(s.cfg.ChainCacheTTL)
	if leaf.NotAfter.Before(until) {
		until = leaf.NotAfter
	}
	s.chains.put(key, bin, until)
	return bin, nil
}

// stepDate is PD-6.1.8 / PD-6.2.2: the token was formed neither too long ago nor in
// the future.
func (s *Service) stepDate(c *VerificationClaims, rule string) error {
	now := s.now()
	iat := time.Unix(c.IssuedAt, 0)
	if iat.After(now.Add(s.cfg.MaxFutureSkew)) {
		return ErrVTInFuture.WithRule(rule)
	}
	if now.Sub(iat) > s.cfg.MaxTokenAge {
		return ErrVTTooOld.WithDetail("a verification token may be at most " + s.cfg.MaxTokenAge.String() + " old").WithRule(rule)
	}
	return nil
}

// stepBIN is PD-6.1.6 / PD-6.2.2: the BIN in the token (iss, and the certificate's)
// equals the BIN of the request.
func stepBIN(vt *vtoken, callerBIN, rule string) error {
	if vt.claims.Issuer != callerBIN || vt.certBIN != callerBIN {
		return ErrVTBIN.WithRule(rule)
	}
	return nil
}

// stepClaims checks the mode and the claims every flow needs.
func stepClaims(c *VerificationClaims, mode, rule string) error {
	if c.Mode != mode {
		return ErrVTMode.WithDetail("mode must be " + mode).WithRule(rule)
	}
	switch {
	case c.Issuer == "" || c.ID == "" || len(c.ID) > 128 || c.IssuedAt == 0:
		return ErrVTClaims.WithDetail("iss, iat and jti (at most 128 characters) are required").WithRule(rule)
	case !kzid.ValidIIN(c.Subject):
		return ErrVTClaims.WithDetail("sub must be the subject's valid IIN").WithRule(rule)
	case !kzid.ValidBIN(c.Owner) || len(c.Scope) == 0:
		return ErrVTClaims.WithDetail("owner (a BIN) and scope (data sets) are required").WithRule(rule)
	case len(c.Purpose) > 500:
		return ErrVTClaims.WithDetail("purpose is at most 500 characters").WithRule(rule)
	}
	if c.Consent != nil && slices.Contains(otpMethods, strings.ToLower(c.Consent.Method)) {
		return ErrConsentOTP // PD-6.X
	}
	return nil
}

// chainCache remembers validated chains (by the hash of their certificates) with the
// leaf's BIN, so a busy initiator's chain is validated once a minute, not per request.
type chainCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[[32]byte]chainEntry
}

type chainEntry struct {
	bin   string
	until time.Time
}

func newChainCache(ttl time.Duration) *chainCache {
	return &chainCache{ttl: ttl, m: map[[32]byte]chainEntry{}}
}

func (c *chainCache) get(k [32]byte, now time.Time) (string, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return "", false
	}
	return e.bin, true
}

func (c *chainCache) put(k [32]byte, bin string, until time.Time) {
	c.mu.Lock()
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[k] = chainEntry{bin, until}
	c.mu.Unlock()
}

// refCache maps IINs to subject references, which never change once made.
type refCache struct {
	max int
	mu  sync.RWMutex
	m   map[string]string
}

func newRefCache(max int) *refCache { return &refCache{max: max, m: map[string]string{}} }

func (s *Service) subjectRef(ctx context.Context, iin string) (string, error) {
	if r, ok := s.cachedRef(iin); ok {
		return r, nil
	}
	r, err := s.cfg.Citizens.SubjectRef(ctx, iin)
	if err != nil {
		return "", err
	}
	s.cacheRef(iin, r)
	return r, nil
}

// cachedRef returns the reference of iin if this process has seen it committed.
func (s *Service) cachedRef(iin string) (string, bool) {
	s.refs.mu.RLock()
	r, ok := s.refs.m[iin]
	s.refs.mu.RUnlock()
	return r, ok
}

// cacheRef remembers a reference; only one whose record has committed.
func (s *Service) cacheRef(iin, r string) {
	s.refs.mu.Lock()
	if len(s.refs.m) >= s.refs.max {
		clear(s.refs.m)
	}
	s.refs.m[iin] = r
	s.refs.mu.Unlock()
}
