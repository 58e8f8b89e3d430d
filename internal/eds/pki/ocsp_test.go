package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// testResponder is an OCSP responder on loopback, answering with x/crypto/ocsp.
type testResponder struct {
	t      *testing.T
	issuer *testCA
	// signer signs the answers; the issuer when nil.
	signerCert *x509.Certificate
	signerKey  crypto.Signer
	embed      bool // put signerCert in the response

	mu         sync.Mutex
	status     int // ocsp.Good, ocsp.Revoked, ocsp.Unknown
	revokedAt  time.Time
	reason     int
	thisUpdate time.Time
	nextUpdate time.Time
	nonce      func(req []byte) []byte // what to echo; nil echoes the request's nonce
	corrupt    bool                    // flip a bit of the signature
	httpStatus int                     // non-zero: answer with this HTTP status
	respStatus ocsp.ResponseStatus     // non-zero: an unsuccessful OCSP response
	archive    time.Time               // non-zero: an archive cutoff in singleExtensions
	// xcrypto answers with x/crypto/ocsp.CreateResponse, which can put the nonce only in
	// singleExtensions; by default the answer is built here with the nonce in
	// responseExtensions, as the NCA does.
	xcrypto bool

	hits atomic.Int32
	srv  *httptest.Server
}

func newResponder(t *testing.T, issuer *testCA) *testResponder {
	r := &testResponder{t: t, issuer: issuer, status: ocsp.Good,
		thisUpdate: fixedNow.Add(-time.Hour), nextUpdate: fixedNow.Add(time.Hour)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testResponder) set(f func(r *testResponder)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

func (r *testResponder) serve(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/ocsp-request" {
		http.Error(w, "want POST application/ocsp-request", http.StatusBadRequest)
		return
	}
	if r.httpStatus != 0 {
		w.WriteHeader(r.httpStatus)
		return
	}
	if r.respStatus != 0 {
		b, _ := asn1.Marshal(struct{ S asn1.Enumerated }{asn1.Enumerated(r.respStatus)})
		w.Write(b)
		return
	}
	body, _ := io.ReadAll(req.Body)
	var q ocspRequestASN
	if err := unmarshalAll(body, &q); err != nil || len(q.TBS.Requests) != 1 {
		r.t.Errorf("responder: bad request: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id := q.TBS.Requests[0].Cert
	if !id.HashAlgorithm.Algorithm.Equal(oidSHA256) {
		r.t.Errorf("responder: CertID hash %v, want SHA-256", id.HashAlgorithm.Algorithm)
	}
	var nonce []byte
	for _, e := range q.TBS.Extensions {
		if e.Id.Equal(oidOCSPNonce) {
			// Double-wrapped: extnValue OCTET STRING { OCTET STRING { 8 bytes } }.
			if err := unmarshalAll(e.Value, &nonce); err != nil || len(nonce) != 8 {
				r.t.Errorf("responder: nonce %x not an 8-byte OCTET STRING: %v", e.Value, err)
			}
		}
	}
	if r.nonce != nil {
		nonce = r.nonce(nonce)
	}
	tmpl := ocsp.Response{
		Status: r.status, SerialNumber: id.Serial,
		ThisUpdate: r.thisUpdate, NextUpdate: r.nextUpdate,
		RevokedAt: r.revokedAt, RevocationReason: r.reason,
		IssuerHash: crypto.SHA256,
	}
	if nonce != nil {
		v, _ := asn1.Marshal(nonce)
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidOCSPNonce, Value: v}}
	}
	if !r.archive.IsZero() {
		v, _ := asn1.MarshalWithParams(r.archive.UTC(), "generalized")
		tmpl.Extensions = []pkix.Extension{{Id: oidOCSPArchive, Value: v}}
	}
	signerCert, key := r.issuer.cert, crypto.Signer(r.issuer.key)
	if r.signerCert != nil {
		signerCert, key = r.signerCert, r.signerKey
	}
	if r.embed {
		tmpl.Certificate = signerCert
	}
	var der []byte
	var err error
	if r.xcrypto {
		der, err = ocsp.CreateResponse(r.issuer.cert, signerCert, tmpl, key)
	} else {
		der, err = buildOCSPResponse(r.issuer.cert, signerCert, key, tmpl, nonce)
	}
	if err != nil {
		r.t.Errorf("responder: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if r.corrupt {
		der[len(der)-10] ^= 0x01
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}

// buildOCSPResponse signs a basic OCSP response like the NCA's: SHA-256 CertID, responder
// identified by key hash, the nonce echoed in responseExtensions.
func buildOCSPResponse(issuer, signer *x509.Certificate, key crypto.Signer, tmpl ocsp.Response, nonce []byte) ([]byte, error) {
	id, err := makeCertID(crypto.SHA256, tmpl.SerialNumber, issuer)
	if err != nil {
		return nil, err
	}
	single := ocspSingleResponseASN{Cert: id, ThisUpdate: tmpl.ThisUpdate.UTC(), NextUpdate: tmpl.NextUpdate.UTC(), Extensions: tmpl.Extensions}
	switch tmpl.Status {
	case ocsp.Good:
		single.Good = true
	case ocsp.Revoked:
		single.Revoked = ocspRevokedInfo{Time: tmpl.RevokedAt.UTC(), Reason: asn1.Enumerated(tmpl.RevocationReason)}
	default:
		single.Unknown = true
	}
	bits, err := publicKeyBits(signer.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	kh := sha1.Sum(bits)
	khDER, _ := asn1.Marshal(kh[:])
	data := ocspResponseData{
		ResponderID: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: khDER},
		ProducedAt:  fixedNow.Add(-time.Minute).UTC(),
		Responses:   []ocspSingleResponseASN{single},
	}
	if nonce != nil {
		v, _ := asn1.Marshal(nonce)
		data.Extensions = []pkix.Extension{{Id: oidOCSPNonce, Value: v}}
	}
	tbs, err := asn1.Marshal(data)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbs)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	basic := basicOCSPResponse{
		TBS:    asn1.RawValue{FullBytes: tbs},
		SigAlg: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}},
		Sig:    asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	}
	if tmpl.Certificate != nil {
		basic.Certs = []asn1.RawValue{{FullBytes: tmpl.Certificate.Raw}}
	}
	b, err := asn1.Marshal(basic)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(ocspResponseASN{Bytes: ocspResponseBytes{Type: oidOCSPBasic, Response: b}})
}

// ocspFixture is an ECDSA CA, a leaf whose AIA points at the responder, and the responder.
type ocspFixture struct {
	ca   *testCA
	leaf *x509.Certificate
	resp *testResponder
}

func newOCSPFixture(t *testing.T) *ocspFixture {
	ca := newTestRoot(t, "OCSP Test CA")
	r := newResponder(t, ca)
	leaf := ca.issue(t, &x509.Certificate{
		Subject:    pkix.Name{CommonName: "OCSP leaf"},
		NotBefore:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:   x509.KeyUsageDigitalSignature,
		OCSPServer: []string{r.srv.URL + "/ocsp/"},
	}, nil)
	return &ocspFixture{ca: ca, leaf: leaf, resp: r}
}

func (f *ocspFixture) checker(cfg OCSPConfig) *OCSPChecker {
	if cfg.Clock == nil {
		cfg.Clock = fixedClock(fixedNow)
	}
	return NewOCSPChecker(cfg)
}

func TestOCSPGoodAndCache(t *testing.T) {
	f := newOCSPFixture(t)
	now := fixedNow
	o := f.checker(OCSPConfig{Clock: func() time.Time { return now }})
	st, err := o.Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusGood || st.Cached || !st.NextUpdate.Equal(f.resp.nextUpdate) {
		t.Errorf("status %+v", st)
	}
	st, err = o.Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil || st.Status != StatusGood || !st.Cached {
		t.Fatalf("second call: %+v %v", st, err)
	}
	if n := f.resp.hits.Load(); n != 1 {
		t.Errorf("%d HTTP requests, want 1 (second from cache)", n)
	}
	// Past nextUpdate the cache entry is gone and the responder is asked again.
	now = fixedNow.Add(90 * time.Minute)
	f.resp.set(func(r *testResponder) { r.thisUpdate, r.nextUpdate = now.Add(-time.Minute), now.Add(time.Hour) })
	if st, err := o.Check(t.Context(), f.leaf, f.ca.cert); err != nil || st.Cached {
		t.Fatalf("after nextUpdate: %+v %v", st, err)
	}
	if n := f.resp.hits.Load(); n != 2 {
		t.Errorf("%d HTTP requests, want 2", n)
	}
	// A configured TTL shorter than nextUpdate wins.
	short := f.checker(OCSPConfig{Clock: func() time.Time { return now }, CacheTTL: time.Minute})
	short.Check(t.Context(), f.leaf, f.ca.cert)
	now = now.Add(2 * time.Minute)
	if st, err := short.Check(t.Context(), f.leaf, f.ca.cert); err != nil || st.Cached {
		t.Errorf("after TTL: %+v %v", st, err)
	}
}

func TestOCSPRevoked(t *testing.T) {
	f := newOCSPFixture(t)
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	f.resp.set(func(r *testResponder) { r.status, r.revokedAt, r.reason = ocsp.Revoked, at, ocsp.KeyCompromise })
	st, err := f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusRevoked || !st.RevokedAt.Equal(at) || st.Reason != ReasonKeyCompromise {
		t.Errorf("status %+v", st)
	}
	f.resp.set(func(r *testResponder) { r.status = ocsp.Unknown })
	st, err = f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil || st.Status != StatusUnknown {
		t.Errorf("unknown: %+v %v", st, err)
	}
}

func TestOCSPFailuresAreNeverGood(t *testing.T) {
	other := newTestRoot(t, "Impostor")
	tests := []struct {
		name  string
		setup func(f *ocspFixture)
		cfg   OCSPConfig
		want  error
	}{
		{"wrong nonce", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.nonce = func([]byte) []byte { return []byte("12345678") } })
		}, OCSPConfig{}, ErrOCSPNonce},
		{"missing nonce", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.nonce = func([]byte) []byte { return nil } })
		}, OCSPConfig{}, ErrOCSPNonce},
		{"wrong nonce even when missing is allowed", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.nonce = func(n []byte) []byte { return append([]byte{1}, n...) } })
		}, OCSPConfig{AllowMissingNonce: true}, ErrOCSPNonce},
		{"bad signature", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.corrupt = true })
		}, OCSPConfig{}, ErrOCSPSignature},
		{"signed by another CA", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.signerCert, r.signerKey, r.embed = other.cert, other.key, true })
		}, OCSPConfig{}, ErrOCSPResponder},
		{"delegated without OCSPSigning", func(f *ocspFixture) {
			k := newKey(t)
			c := f.ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "not a responder"},
				NotBefore: f.ca.cert.NotBefore, NotAfter: f.ca.cert.NotAfter,
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, &k.PublicKey)
			f.resp.set(func(r *testResponder) { r.signerCert, r.signerKey, r.embed = c, k, true })
		}, OCSPConfig{}, ErrOCSPResponder},
		{"delegated responder not embedded", func(f *ocspFixture) {
			k := newKey(t)
			c := f.ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "responder"},
				NotBefore: f.ca.cert.NotBefore, NotAfter: f.ca.cert.NotAfter,
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}}, &k.PublicKey)
			f.resp.set(func(r *testResponder) { r.signerCert, r.signerKey = c, k })
		}, OCSPConfig{}, ErrOCSPResponder},
		{"stale", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) {
				r.thisUpdate, r.nextUpdate = fixedNow.Add(-3*time.Hour), fixedNow.Add(-2*time.Hour)
			})
		}, OCSPConfig{}, ErrOCSPStale},
		{"from the future", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) {
				r.thisUpdate, r.nextUpdate = fixedNow.Add(time.Hour), fixedNow.Add(2*time.Hour)
			})
		}, OCSPConfig{}, ErrOCSPStale},
		{"old without nextUpdate", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.thisUpdate, r.nextUpdate = fixedNow.Add(-3*time.Hour), time.Time{} })
		}, OCSPConfig{}, ErrOCSPStale},
		{"responder down", func(f *ocspFixture) { f.resp.srv.Close() }, OCSPConfig{}, ErrOCSPUnavailable},
		{"HTTP 500", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.httpStatus = http.StatusInternalServerError })
		}, OCSPConfig{}, ErrOCSPUnavailable},
		{"tryLater", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.respStatus = ocsp.TryLater })
		}, OCSPConfig{}, ErrOCSPUnavailable},
		{"unauthorized", func(f *ocspFixture) {
			f.resp.set(func(r *testResponder) { r.respStatus = ocsp.Unauthorized })
		}, OCSPConfig{}, ErrOCSPStatus},
		{"bad configured URL", func(f *ocspFixture) {}, OCSPConfig{URL: "ftp://example.invalid/"}, ErrOCSPUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newOCSPFixture(t)
			tt.setup(f)
			o := f.checker(tt.cfg)
			st, err := o.Check(t.Context(), f.leaf, f.ca.cert)
			if !errors.Is(err, tt.want) || st != nil {
				t.Fatalf("got %+v, %v; want error %v", st, err, tt.want)
			}
			// A failure is not cached.
			before := f.resp.hits.Load()
			o.Check(t.Context(), f.leaf, f.ca.cert)
			if tt.name != "responder down" && tt.name != "bad configured URL" && f.resp.hits.Load() == before {
				t.Error("failure was cached")
			}
		})
	}
}

func TestOCSPDelegatedResponderAndConfiguredURL(t *testing.T) {
	f := newOCSPFixture(t)
	k := newKey(t)
	c := f.ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "OCSP responder"},
		NotBefore: f.ca.cert.NotBefore, NotAfter: f.ca.cert.NotAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}}, &k.PublicKey)
	f.resp.set(func(r *testResponder) { r.signerCert, r.signerKey, r.embed = c, k, true })
	if st, err := f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert); err != nil || st.Status != StatusGood {
		t.Fatalf("delegated: %+v %v", st, err)
	}
	// A certificate without AIA: the configured URL is used; with neither, an error.
	noAIA := f.ca.leaf(t, "no AIA")
	if _, err := f.checker(OCSPConfig{}).Check(t.Context(), noAIA, f.ca.cert); !errors.Is(err, ErrOCSPNoURL) {
		t.Errorf("no URL: %v", err)
	}
	if st, err := f.checker(OCSPConfig{URL: f.resp.srv.URL}).Check(t.Context(), noAIA, f.ca.cert); err != nil || st.Status != StatusGood {
		t.Errorf("configured URL: %+v %v", st, err)
	}
}

func TestValidateWithOCSPChecker(t *testing.T) {
	f := newOCSPFixture(t)
	v, err := New(Config{Roots: []*x509.Certificate{f.ca.cert}, OCSP: f.checker(OCSPConfig{}), Clock: fixedClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Revocation: []RevocationMethod{RevocationOCSP}}
	if res := v.Validate(t.Context(), f.leaf, fixedNow, opts); !res.Valid || res.OCSP.Status != StatusGood {
		t.Fatalf("good: %+v", res)
	}
	// The responder goes down: the cached answer still serves; a fresh checker cannot.
	f.resp.srv.Close()
	if res := v.Validate(t.Context(), f.leaf, fixedNow, opts); !res.Valid {
		t.Errorf("cached: %v", res.Errors)
	}
	v2, _ := New(Config{Roots: []*x509.Certificate{f.ca.cert}, OCSP: f.checker(OCSPConfig{}), Clock: fixedClock(fixedNow)})
	res := v2.Validate(t.Context(), f.leaf, fixedNow, opts)
	if res.Valid || res.OCSP.Status != StatusUnknown || Code(res.OCSP.Err) != "eds.ocsp.unavailable" {
		t.Errorf("down: valid %v status %s err %v", res.Valid, res.OCSP.Status, res.OCSP.Err)
	}
}

func TestOCSPNonceOnlyInSingleExtensions(t *testing.T) {
	// x/crypto/ocsp puts extensions in singleExtensions: not an echo in responseExtensions.
	f := newOCSPFixture(t)
	f.resp.set(func(r *testResponder) { r.xcrypto = true })
	if _, err := f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert); !errors.Is(err, ErrOCSPNonce) {
		t.Errorf("nonce required: %v", err)
	}
	st, err := f.checker(OCSPConfig{AllowMissingNonce: true}).Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil || st.Status != StatusGood {
		t.Errorf("nonce optional: %+v %v", st, err)
	}
}

func TestCreateOCSPRequestShape(t *testing.T) {
	f := newOCSPFixture(t)
	der, nonce, err := CreateOCSPRequest(f.leaf, f.ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	// x/crypto/ocsp reads the CertID back.
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if req.HashAlgorithm != crypto.SHA256 || req.SerialNumber.Cmp(f.leaf.SerialNumber) != 0 {
		t.Errorf("request %+v", req)
	}
	wrapped, _ := asn1.Marshal(nonce)
	if len(nonce) != 8 || !bytes.Contains(der, wrapped) {
		t.Errorf("nonce %x not double-wrapped in %x", nonce, der)
	}
}

func FuzzParseOCSPResponse(f *testing.F) {
	ca := newTestRoot(f, "Fuzz OCSP CA")
	leaf := ca.leaf(f, "leaf")
	for _, st := range []int{ocsp.Good, ocsp.Revoked, ocsp.Unknown} {
		v, _ := asn1.Marshal([]byte("12345678"))
		der, err := ocsp.CreateResponse(ca.cert, ca.cert, ocsp.Response{
			Status: st, SerialNumber: leaf.SerialNumber, IssuerHash: crypto.SHA256,
			ThisUpdate: fixedNow, NextUpdate: fixedNow.Add(time.Hour), RevokedAt: fixedNow.Add(-time.Hour),
			Certificate: ca.cert, ExtraExtensions: []pkix.Extension{{Id: oidOCSPNonce, Value: v}},
		}, ca.key)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add(ocsp.TryLaterErrorResponse)
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := ParseOCSPResponse(der)
		if err != nil {
			if !errors.Is(err, ErrOCSPMalformed) {
				t.Fatalf("error does not wrap ErrOCSPMalformed: %v", err)
			}
			return
		}
		if r.Status == OCSPSuccessful {
			for _, s := range r.Responses {
				if s.Serial == nil || s.Status == "" {
					t.Fatalf("incomplete single response %+v", s)
				}
			}
		}
	})
}

// The archive cutoff and RFC 6960's never-issued marker come through the real checker.
func TestOCSPArchiveCutoffAndNotIssued(t *testing.T) {
	f := newOCSPFixture(t)
	cutoff := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	f.resp.set(func(r *testResponder) { r.archive = cutoff })
	st, err := f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil || !st.ArchiveCutoff.Equal(cutoff) || st.NotIssued() {
		t.Fatalf("archive cutoff: %+v %v", st, err)
	}
	f.resp.set(func(r *testResponder) {
		r.archive, r.status, r.revokedAt, r.reason = time.Time{}, ocsp.Revoked, time.Unix(0, 0), int(ReasonCertificateHold)
	})
	st, err = f.checker(OCSPConfig{}).Check(t.Context(), f.leaf, f.ca.cert)
	if err != nil || !st.NotIssued() || !st.ArchiveCutoff.IsZero() {
		t.Fatalf("not issued: %+v %v", st, err)
	}
	v, err := New(Config{Roots: []*x509.Certificate{f.ca.cert}, OCSP: f.checker(OCSPConfig{})})
	if err != nil {
		t.Fatal(err)
	}
	res := v.Validate(t.Context(), f.leaf, fixedNow, Options{Revocation: []RevocationMethod{RevocationOCSP}})
	if res.Valid || res.OCSP.Status != StatusUnknown || Code(res.OCSP.Err) != "eds.ocsp.not_issued" || !res.OCSP.RevokedAt.IsZero() {
		t.Errorf("valid %v OCSP %+v", res.Valid, res.OCSP)
	}
	// A malformed archive cutoff is refused.
	f.resp.set(func(r *testResponder) { r.status, r.archive = ocsp.Good, time.Time{} })
	bad, err := buildOCSPResponse(f.ca.cert, f.ca.cert, f.ca.key, ocsp.Response{Status: ocsp.Good, SerialNumber: f.leaf.SerialNumber,
		ThisUpdate: fixedNow, Extensions: []pkix.Extension{{Id: oidOCSPArchive, Value: []byte{0x02, 0x01, 0x01}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseOCSPResponse(bad); !errors.Is(err, ErrOCSPMalformed) {
		t.Errorf("malformed archive cutoff: %v", err)
	}
}
