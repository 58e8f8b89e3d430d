package pki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"
)

var (
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidOCSPNonce   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPArchive = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 6} // id-pkix-ocsp-archive-cutoff
	oidOCSPSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// OCSP response status values (RFC 6960, section 4.2.1).
const (
	OCSPSuccessful       = 0
	OCSPMalformedRequest = 1
	OCSPInternalError    = 2
	OCSPTryLater         = 3
	OCSPSigRequired      = 5
	OCSPUnauthorized     = 6
)

// ---- ASN.1 shapes (RFC 6960) ----

type certID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	Serial         *big.Int
}

type ocspSingleRequest struct {
	Cert certID
}

type ocspTBSRequest struct {
	Version    int `asn1:"explicit,tag:0,default:0,optional"`
	Requests   []ocspSingleRequest
	Extensions []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type ocspRequestASN struct {
	TBS ocspTBSRequest
}

type ocspResponseASN struct {
	Status asn1.Enumerated
	Bytes  ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	Type     asn1.ObjectIdentifier
	Response []byte
}

type basicOCSPResponse struct {
	TBS    asn1.RawValue
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
	Certs  []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseData struct {
	Version     int `asn1:"explicit,tag:0,default:0,optional"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []ocspSingleResponseASN
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspSingleResponseASN struct {
	Cert       certID
	Good       asn1.Flag        `asn1:"tag:0,optional"`
	Revoked    ocspRevokedInfo  `asn1:"tag:1,optional"`
	Unknown    asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate time.Time        `asn1:"generalized"`
	NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspRevokedInfo struct {
	Time   time.Time       `asn1:"generalized"`
	Reason asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

// OCSPSingleResponse is the status of one certificate in an OCSP response.
type OCSPSingleResponse struct {
	HashAlgorithm  asn1.ObjectIdentifier // of the CertID
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	Serial         *big.Int
	Status         RevocationStatus // good, revoked or unknown
	RevokedAt      time.Time
	Reason         Reason
	ThisUpdate     time.Time
	NextUpdate     time.Time // zero when absent
	// ArchiveCutoff (RFC 6960, section 4.4.4): the responder keeps the status of
	// certificates that expired at or after it; zero when absent.
	ArchiveCutoff time.Time
}

// OCSPResponse is a parsed OCSP response. ParseOCSPResponse checks only its syntax; the
// OCSPChecker checks signature, responder, nonce and freshness.
type OCSPResponse struct {
	Raw    []byte
	Status int // responseStatus; the fields below are set only when it is OCSPSuccessful

	RawTBS             []byte // tbsResponseData, the signed part
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte
	ResponderName      []byte // DER Name when the responder is identified by name
	ResponderKeyHash   []byte // SHA-1 of the responder's key when identified by key
	ProducedAt         time.Time
	Responses          []OCSPSingleResponse
	// Nonce is the content of the nonce extension with its inner OCTET STRING removed
	// (the NCA double-wraps it); nil when absent.
	Nonce        []byte
	Certificates []*x509.Certificate
}

// ParseOCSPResponse parses a DER OCSPResponse with a basic response. Errors wrap
// ErrOCSPMalformed.
func ParseOCSPResponse(der []byte) (*OCSPResponse, error) {
	var outer ocspResponseASN
	if err := unmarshalAll(der, &outer); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOCSPMalformed, err)
	}
	r := &OCSPResponse{Raw: der, Status: int(outer.Status)}
	if r.Status != OCSPSuccessful {
		return r, nil
	}
	if !outer.Bytes.Type.Equal(oidOCSPBasic) {
		return nil, fmt.Errorf("%w: response type %v is not basic", ErrOCSPMalformed, outer.Bytes.Type)
	}
	var basic basicOCSPResponse
	if err := unmarshalAll(outer.Bytes.Response, &basic); err != nil {
		return nil, fmt.Errorf("%w: basic response: %v", ErrOCSPMalformed, err)
	}
	if basic.Sig.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: signature is not a whole number of bytes", ErrOCSPMalformed)
	}
	var data ocspResponseData
	if err := unmarshalAll(basic.TBS.FullBytes, &data); err != nil {
		return nil, fmt.Errorf("%w: response data: %v", ErrOCSPMalformed, err)
	}
	if data.Version != 0 {
		return nil, fmt.Errorf("%w: version %d", ErrOCSPMalformed, data.Version)
	}
	r.RawTBS = basic.TBS.FullBytes
	r.SignatureAlgorithm = basic.SigAlg.Algorithm
	r.Signature = basic.Sig.Bytes
	r.ProducedAt = data.ProducedAt.UTC()

	rid := data.ResponderID
	switch {
	case rid.Class == asn1.ClassContextSpecific && rid.Tag == 1 && rid.IsCompound:
		var name asn1.RawValue
		if err := unmarshalAll(rid.Bytes, &name); err != nil || name.Tag != asn1.TagSequence {
			return nil, fmt.Errorf("%w: responder name", ErrOCSPMalformed)
		}
		r.ResponderName = name.FullBytes
	case rid.Class == asn1.ClassContextSpecific && rid.Tag == 2 && rid.IsCompound:
		if err := unmarshalAll(rid.Bytes, &r.ResponderKeyHash); err != nil {
			return nil, fmt.Errorf("%w: responder key hash", ErrOCSPMalformed)
		}
	default:
		return nil, fmt.Errorf("%w: responder id", ErrOCSPMalformed)
	}

	for _, s := range data.Responses {
		sr := OCSPSingleResponse{
			HashAlgorithm:  s.Cert.HashAlgorithm.Algorithm,
			IssuerNameHash: s.Cert.IssuerNameHash,
			IssuerKeyHash:  s.Cert.IssuerKeyHash,
			Serial:         s.Cert.Serial,
			ThisUpdate:     s.ThisUpdate.UTC(),
		}
		if sr.Serial == nil {
			return nil, fmt.Errorf("%w: no serial number", ErrOCSPMalformed)
		}
		if !s.NextUpdate.IsZero() {
			sr.NextUpdate = s.NextUpdate.UTC()
		}
		for _, ext := range s.Extensions {
			if ext.Id.Equal(oidOCSPArchive) {
				var t time.Time
				if err := unmarshalAll(ext.Value, &t); err != nil {
					return nil, fmt.Errorf("%w: archive cutoff: %v", ErrOCSPMalformed, err)
				}
				sr.ArchiveCutoff = t.UTC()
			}
		}
		switch {
		case bool(s.Good):
			sr.Status = StatusGood
		case !s.Revoked.Time.IsZero():
			sr.Status = StatusRevoked
			sr.RevokedAt = s.Revoked.Time.UTC()
			sr.Reason = Reason(s.Revoked.Reason)
		case bool(s.Unknown):
			sr.Status = StatusUnknown
		default:
			return nil, fmt.Errorf("%w: no certificate status", ErrOCSPMalformed)
		}
		r.Responses = append(r.Responses, sr)
	}
	for _, ext := range data.Extensions {
		if ext.Id.Equal(oidOCSPNonce) {
			r.Nonce = unwrapNonce(ext.Value)
		}
	}
	for _, raw := range basic.Certs {
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: responder certificate: %v", ErrOCSPMalformed, err)
		}
		r.Certificates = append(r.Certificates, c)
	}
	return r, nil
}

// notIssuedTime is the revocation time RFC 6960 (section 2.2) prescribes, with reason
// certificateHold, for a "revoked" answer about a certificate the CA never issued.
var notIssuedTime = time.Unix(0, 0).UTC()

// NotIssued reports whether a "revoked" answer is RFC 6960's marker for a serial number
// the CA never issued (revocation time 1970-01-01T00:00:00Z, reason certificateHold)
// rather than a revocation.
func (s *OCSPStatus) NotIssued() bool {
	return s.Status == StatusRevoked && s.RevokedAt.Equal(notIssuedTime) && s.Reason == ReasonCertificateHold
}

// unwrapNonce removes the inner OCTET STRING of a nonce extension value when there is one
// (RFC 8954 and the NCA wrap it; some responders do not).
func unwrapNonce(v []byte) []byte {
	var inner []byte
	if err := unmarshalAll(v, &inner); err == nil {
		return inner
	}
	return v
}

// OCSPConfig configures an OCSPChecker.
type OCSPConfig struct {
	// HTTPClient sends the requests. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// URL, when set, is used instead of the OCSP address in the certificate's AIA.
	URL string
	// Clock gives the current time (freshness, cache). Default time.Now.
	Clock func() time.Time
	// CacheTTL bounds how long an answer is kept: until its nextUpdate, but never longer
	// than CacheTTL; an answer without nextUpdate is kept for CacheTTL. Default 1 h;
	// negative disables the cache.
	CacheTTL time.Duration
	// MaxAge is how old thisUpdate may be when an answer has no nextUpdate. Default 1 h.
	MaxAge time.Duration
	// ClockSkew tolerated between us and the responder. Default 5 min.
	ClockSkew time.Duration
	// AllowMissingNonce accepts answers that do not echo the nonce (pre-produced
	// responses). The NCA echoes it, so the default is to require it. A nonce that is
	// present and different is always refused.
	AllowMissingNonce bool
	// MaxResponseSize bounds the body read. Default 1 MiB.
	MaxResponseSize int64
}

// OCSPChecker asks OCSP responders and checks their answers. It is safe for concurrent
// use and implements OCSPClient.
type OCSPChecker struct {
	cfg  OCSPConfig
	sigs *sigVerifier

	mu    sync.Mutex
	cache map[string]ocspCacheEntry
}

type ocspCacheEntry struct {
	status  OCSPStatus
	expires time.Time
}

const maxOCSPCache = 10000

// NewOCSPChecker returns an OCSPChecker with cfg's defaults filled in.
func NewOCSPChecker(cfg OCSPConfig) *OCSPChecker {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = time.Hour
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.ClockSkew <= 0 {
		cfg.ClockSkew = 5 * time.Minute
	}
	if cfg.MaxResponseSize <= 0 {
		cfg.MaxResponseSize = 1 << 20
	}
	return &OCSPChecker{cfg: cfg, sigs: newSigVerifier(), cache: make(map[string]ocspCacheEntry)}
}

// Check returns the checked status of cert, issued by issuer, from the cache or from the
// responder. Any failure (responder down, bad signature, wrong nonce, stale answer) is an
// error, never a good status.
func (o *OCSPChecker) Check(ctx context.Context, cert, issuer *x509.Certificate) (*OCSPStatus, error) {
	now := o.cfg.Clock()
	key := cacheKey(cert, issuer)
	o.mu.Lock()
	e, ok := o.cache[key]
	o.mu.Unlock()
	if ok && now.Before(e.expires) {
		st := e.status
		st.Cached = true
		return &st, nil
	}

	urls := cert.OCSPServer
	if o.cfg.URL != "" {
		urls = []string{o.cfg.URL}
	}
	if len(urls) == 0 {
		return nil, ErrOCSPNoURL
	}
	req, nonce, err := CreateOCSPRequest(cert, issuer)
	if err != nil {
		return nil, err
	}
	var lastErr error
	tried := map[string]bool{}
	for _, u := range urls {
		if tried[u] {
			continue
		}
		tried[u] = true
		der, err := o.post(ctx, u, req)
		if err != nil {
			lastErr = err
			continue
		}
		st, err := o.checkResponse(der, cert, issuer, nonce, now)
		if err != nil {
			return nil, err
		}
		o.store(key, *st, now)
		return st, nil
	}
	return nil, lastErr
}

func cacheKey(cert, issuer *x509.Certificate) string {
	h := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	return string(h[:]) + cert.SerialNumber.String()
}

func (o *OCSPChecker) store(key string, st OCSPStatus, now time.Time) {
	if o.cfg.CacheTTL < 0 {
		return
	}
	exp := now.Add(o.cfg.CacheTTL)
	if !st.NextUpdate.IsZero() && st.NextUpdate.Before(exp) {
		exp = st.NextUpdate
	}
	if !exp.After(now) {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.cache) >= maxOCSPCache {
		for k, e := range o.cache {
			if !now.Before(e.expires) {
				delete(o.cache, k)
			}
		}
		if len(o.cache) >= maxOCSPCache {
			clear(o.cache)
		}
	}
	o.cache[key] = ocspCacheEntry{status: st, expires: exp}
}

func (o *OCSPChecker) post(ctx context.Context, u string, body []byte) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, fmt.Errorf("%w: bad URL", ErrOCSPUnavailable)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOCSPUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	req.Header.Set("Accept", "application/ocsp-response")
	resp, err := o.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOCSPUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP %d", ErrOCSPUnavailable, resp.StatusCode)
	}
	der, err := io.ReadAll(io.LimitReader(resp.Body, o.cfg.MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOCSPUnavailable, err)
	}
	if int64(len(der)) > o.cfg.MaxResponseSize {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrOCSPMalformed, o.cfg.MaxResponseSize)
	}
	return der, nil
}

// CreateOCSPRequest makes a DER OCSP request for cert with a SHA-256 CertID and a fresh
// 8-byte nonce, wrapped in an OCTET STRING inside the extension value as the NCA expects.
// It returns the request and the nonce.
func CreateOCSPRequest(cert, issuer *x509.Certificate) (der, nonce []byte, err error) {
	id, err := makeCertID(crypto.SHA256, cert.SerialNumber, issuer)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	wrapped, err := asn1.Marshal(nonce)
	if err != nil {
		return nil, nil, err
	}
	der, err = asn1.Marshal(ocspRequestASN{TBS: ocspTBSRequest{
		Requests:   []ocspSingleRequest{{Cert: id}},
		Extensions: []pkix.Extension{{Id: oidOCSPNonce, Value: wrapped}},
	}})
	if err != nil {
		return nil, nil, err
	}
	return der, nonce, nil
}

func makeCertID(h crypto.Hash, serial *big.Int, issuer *x509.Certificate) (certID, error) {
	nameHash, keyHash, oid, err := issuerHashes(h, issuer)
	if err != nil {
		return certID{}, err
	}
	return certID{
		HashAlgorithm:  pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue},
		IssuerNameHash: nameHash,
		IssuerKeyHash:  keyHash,
		Serial:         serial,
	}, nil
}

// issuerHashes hashes the issuer's DER subject and the bits of its subjectPublicKey.
func issuerHashes(h crypto.Hash, issuer *x509.Certificate) (nameHash, keyHash []byte, oid asn1.ObjectIdentifier, err error) {
	keyBits, err := publicKeyBits(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, nil, nil, err
	}
	switch h {
	case crypto.SHA256:
		n, k := sha256.Sum256(issuer.RawSubject), sha256.Sum256(keyBits)
		return n[:], k[:], oidSHA256, nil
	case crypto.SHA1:
		n, k := sha1.Sum(issuer.RawSubject), sha1.Sum(keyBits)
		return n[:], k[:], oidSHA1, nil
	}
	return nil, nil, nil, fmt.Errorf("%w: CertID hash %v", ErrUnknownAlgorithm, h)
}

func publicKeyBits(spki []byte) ([]byte, error) {
	var s struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}
	if err := unmarshalAll(spki, &s); err != nil {
		return nil, fmt.Errorf("%w: subjectPublicKeyInfo: %v", ErrMalformedCert, err)
	}
	return s.Key.Bytes, nil
}

// checkResponse checks a responder's answer for cert: status, signature and responder
// authority, the CertID, the nonce and freshness.
func (o *OCSPChecker) checkResponse(der []byte, cert, issuer *x509.Certificate, nonce []byte, now time.Time) (*OCSPStatus, error) {
	r, err := ParseOCSPResponse(der)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case OCSPSuccessful:
	case OCSPTryLater, OCSPInternalError:
		return nil, fmt.Errorf("%w: responder status %d", ErrOCSPUnavailable, r.Status)
	default:
		return nil, fmt.Errorf("%w: %d", ErrOCSPStatus, r.Status)
	}
	if err := o.checkSigner(r, issuer, now); err != nil {
		return nil, err
	}
	if r.Nonce == nil {
		if !o.cfg.AllowMissingNonce {
			return nil, fmt.Errorf("%w: no nonce in the response", ErrOCSPNonce)
		}
	} else if !bytes.Equal(r.Nonce, nonce) {
		return nil, fmt.Errorf("%w", ErrOCSPNonce)
	}

	single := findSingle(r, cert, issuer)
	if single == nil {
		return nil, fmt.Errorf("%w: no answer about the certificate", ErrOCSPMalformed)
	}
	skew := o.cfg.ClockSkew
	if single.ThisUpdate.After(now.Add(skew)) {
		return nil, fmt.Errorf("%w: thisUpdate is in the future", ErrOCSPStale)
	}
	if !single.NextUpdate.IsZero() {
		if single.NextUpdate.Before(now.Add(-skew)) {
			return nil, fmt.Errorf("%w: nextUpdate has passed", ErrOCSPStale)
		}
	} else if single.ThisUpdate.Before(now.Add(-o.cfg.MaxAge - skew)) {
		return nil, fmt.Errorf("%w: thisUpdate older than %v", ErrOCSPStale, o.cfg.MaxAge)
	}
	return &OCSPStatus{
		Status:     single.Status,
		RevokedAt:  single.RevokedAt,
		Reason:     single.Reason,
		ProducedAt: r.ProducedAt,
		ThisUpdate: single.ThisUpdate,
		NextUpdate: single.NextUpdate,
		// The responder's claim about its archive.
		ArchiveCutoff: single.ArchiveCutoff,
		Raw:           der,
	}, nil
}

// findSingle returns r's answer about cert (its serial and a SHA-256 or SHA-1 CertID of
// issuer), or nil.
func findSingle(r *OCSPResponse, cert, issuer *x509.Certificate) *OCSPSingleResponse {
	for i := range r.Responses {
		s := &r.Responses[i]
		if s.Serial.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		var h crypto.Hash
		switch {
		case s.HashAlgorithm.Equal(oidSHA256):
			h = crypto.SHA256
		case s.HashAlgorithm.Equal(oidSHA1):
			h = crypto.SHA1
		default:
			continue
		}
		nh, kh, _, err := issuerHashes(h, issuer)
		if err == nil && bytes.Equal(nh, s.IssuerNameHash) && bytes.Equal(kh, s.IssuerKeyHash) {
			return s
		}
	}
	return nil
}

// checkSigner finds who signed the response and checks the signature: the issuer itself,
// or a delegated responder certificate issued by the issuer with id-kp-OCSPSigning, valid
// now.
func (o *OCSPChecker) checkSigner(r *OCSPResponse, issuer *x509.Certificate, now time.Time) error {
	identifies := func(c *x509.Certificate) bool {
		if r.ResponderName != nil {
			return bytes.Equal(r.ResponderName, c.RawSubject)
		}
		bits, err := publicKeyBits(c.RawSubjectPublicKeyInfo)
		if err != nil {
			return false
		}
		h := sha1.Sum(bits)
		return bytes.Equal(h[:], r.ResponderKeyHash)
	}
	verify := func(c *x509.Certificate) error {
		if err := o.sigs.check(c.RawSubjectPublicKeyInfo, r.SignatureAlgorithm, r.RawTBS, r.Signature); err != nil {
			return fmt.Errorf("%w: %w", ErrOCSPSignature, err)
		}
		return nil
	}
	if identifies(issuer) {
		return verify(issuer)
	}
	for _, c := range r.Certificates {
		if !identifies(c) {
			continue
		}
		if !bytes.Equal(c.RawIssuer, issuer.RawSubject) || !hasEKU(c, oidOCSPSigning) {
			return fmt.Errorf("%w: responder certificate is not delegated by the issuer", ErrOCSPResponder)
		}
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return fmt.Errorf("%w: responder certificate is outside its validity", ErrOCSPResponder)
		}
		alg, err := certSignatureAlgorithm(c.Raw)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrOCSPResponder, err)
		}
		if err := o.sigs.check(issuer.RawSubjectPublicKeyInfo, alg, c.RawTBSCertificate, c.Signature); err != nil {
			return fmt.Errorf("%w: responder certificate not signed by the issuer: %w", ErrOCSPResponder, err)
		}
		return verify(c)
	}
	return fmt.Errorf("%w: responder is neither the issuer nor delegated by it", ErrOCSPResponder)
}

func hasEKU(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning && oid.Equal(oidOCSPSigning) {
			return true
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		if u.Equal(oid) {
			return true
		}
	}
	return false
}

var _ OCSPClient = (*OCSPChecker)(nil)
