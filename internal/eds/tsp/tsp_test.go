package tsp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

var (
	t2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t2030 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock = time.Date(2026, 11, 1, 12, 0, 0, 123e6, time.UTC)
)

func fixedNow() time.Time { return clock }

type testTSA struct {
	root *tsptest.CA
	cfg  tsp.TSAConfig
	v    *pki.Validator
}

func newTSA(t testing.TB, kt eds.KeyType) *testTSA {
	t.Helper()
	root, err := tsptest.NewRoot(kt, "Test TSA Root", t2025, t2030)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := root.TSA(kt, "Test TSA", t2025, t2030, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, Clock: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return &testTSA{root: root, cfg: cfg, v: v}
}

func request(t testing.TB, hash asn1.ObjectIdentifier, data []byte, policy asn1.ObjectIdentifier) (*tsp.Request, []byte) {
	t.Helper()
	req, err := tsp.NewRequest(nil, hash, data, policy)
	if err != nil {
		t.Fatal(err)
	}
	der, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return req, der
}

func TestRespondAndVerify(t *testing.T) {
	for _, tc := range []struct {
		name string
		kt   eds.KeyType
		hash asn1.ObjectIdentifier
	}{
		{"GOST2015-512 TSA, Streebog-512 imprint", eds.KeyGOST2015_512, eds.OIDDigestStreebog512},
		{"ECDSA TSA, SHA-256 imprint", eds.KeyECDSA, eds.OIDDigestSHA256},
		{"ECDSA TSA, Streebog-512 imprint", eds.KeyECDSA, eds.OIDDigestStreebog512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTSA(t, tc.kt)
			data := []byte("signature value")
			req, der := request(t, tc.hash, data, nil)
			respDER, err := tsp.Respond(der, ts.cfg)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tsp.ParseResponse(respDER)
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.Err(); err != nil {
				t.Fatal(err)
			}
			v, err := tsp.VerifyToken(t.Context(), resp.Token, tsp.VerifyOptions{
				Data: data, Nonce: req.Nonce, Policy: tsp.OIDPolicyGOST2015, Validator: ts.v,
			})
			if err != nil {
				t.Fatal(err)
			}
			info := v.Token.Info
			if !info.GenTime.Equal(clock) {
				t.Errorf("genTime %v, want %v", info.GenTime, clock)
			}
			if !info.Policy.Equal(tsp.OIDPolicyGOST2015) || !info.HashAlgorithm.Equal(tc.hash) {
				t.Errorf("policy %v hash %v", info.Policy, info.HashAlgorithm)
			}
			if v.Chain == nil || !v.Chain.Valid {
				t.Errorf("chain not valid: %+v", v.Chain)
			}
			if info.TSAString() != "CN=Test TSA,C=KZ" {
				t.Errorf("tsa %q", info.TSAString())
			}
			// Other data: imprint mismatch.
			if _, err := tsp.VerifyToken(t.Context(), resp.Token, tsp.VerifyOptions{Data: []byte("other")}); !errors.Is(err, tsp.ErrImprintMismatch) {
				t.Errorf("other data: %v", err)
			}
			// Another nonce.
			if _, err := tsp.VerifyToken(t.Context(), resp.Token, tsp.VerifyOptions{Data: data, Nonce: big.NewInt(7)}); !errors.Is(err, tsp.ErrNonceMismatch) {
				t.Errorf("nonce: %v", err)
			}
			// A validator that does not trust the TSA root.
			other := newTSA(t, eds.KeyECDSA)
			if _, err := tsp.VerifyToken(t.Context(), resp.Token, tsp.VerifyOptions{Data: data, Validator: other.v}); !errors.Is(err, tsp.ErrUntrusted) {
				t.Errorf("untrusted: %v", err)
			}
		})
	}
}

func TestTamperedToken(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	data := []byte("x")
	_, der := request(t, eds.OIDDigestSHA256, data, nil)
	respDER, err := tsp.Respond(der, ts.cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := tsp.ParseResponse(respDER)
	tok, err := tsp.ParseToken(resp.Token)
	if err != nil {
		t.Fatal(err)
	}
	// Change one byte of the serial number inside the TSTInfo: the messageDigest no
	// longer matches.
	i := bytes.Index(resp.Token, tok.Info.SerialNumber.Bytes())
	if i < 0 {
		t.Fatal("serial not found")
	}
	bad := bytes.Clone(resp.Token)
	bad[i] ^= 1
	if _, err := tsp.VerifyToken(t.Context(), bad, tsp.VerifyOptions{Data: data}); !errors.Is(err, tsp.ErrInvalid) {
		t.Errorf("tampered TSTInfo: %v, want %v", err, tsp.ErrInvalid)
	}
	// Change the last byte of the signature.
	sig := tok.SignedData.Signers[0].Signature
	j := bytes.Index(resp.Token, sig)
	bad = bytes.Clone(resp.Token)
	bad[j+len(sig)-1] ^= 1
	if _, err := tsp.VerifyToken(t.Context(), bad, tsp.VerifyOptions{Data: data}); !errors.Is(err, tsp.ErrInvalid) {
		t.Errorf("tampered signature: %v", err)
	}
	if _, err := tsp.VerifyToken(t.Context(), resp.Token[:len(resp.Token)-3], tsp.VerifyOptions{Data: data}); !errors.Is(err, tsp.ErrMalformed) {
		t.Errorf("truncated: %v", err)
	}
}

func TestTSACertificateNeedsCriticalEKU(t *testing.T) {
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Root", t2025, t2030)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := eds.GenerateKey(nil, eds.KeyECDSA)
	for _, tc := range []struct {
		name     string
		eku      []asn1.ObjectIdentifier
		critical bool
	}{
		{"no EKU", nil, false},
		{"non-critical", []asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping}, false},
		{"not only timeStamping", []asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping, {1, 3, 6, 1, 5, 5, 7, 3, 4}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := root.Issue(tsptest.Template{CommonName: "TSA", NotBefore: t2025, NotAfter: t2030,
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: tc.eku, ExtKeyUsageCritical: tc.critical}, key)
			if err != nil {
				t.Fatal(err)
			}
			cfg := tsp.TSAConfig{Signer: key, Cert: c, Now: fixedNow}
			_, der := request(t, eds.OIDDigestSHA256, []byte("x"), nil)
			if _, err := tsp.Respond(der, cfg); !errors.Is(err, tsp.ErrTSACertificate) {
				t.Errorf("Respond: %v, want %v", err, tsp.ErrTSACertificate)
			}
			if _, err := tsp.Handler(cfg, nil); !errors.Is(err, tsp.ErrTSACertificate) {
				t.Errorf("Handler: %v", err)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	short := &tsp.Request{HashAlgorithm: eds.OIDDigestSHA256, HashedMessage: []byte{1, 2, 3}}
	shortDER, _ := short.Marshal()
	unknown := &tsp.Request{HashAlgorithm: asn1.ObjectIdentifier{1, 2, 3}, HashedMessage: make([]byte, 32)}
	unknownDER, _ := unknown.Marshal()
	_, otherPolicy := request(t, eds.OIDDigestSHA256, []byte("x"), asn1.ObjectIdentifier{1, 2, 3, 4})
	for _, tc := range []struct {
		name string
		req  []byte
		fail int
	}{
		{"garbage", []byte("garbage"), tsp.FailBadDataFormat},
		{"imprint length", shortDER, tsp.FailBadDataFormat},
		{"unknown hash", unknownDER, tsp.FailBadAlg},
		{"policy", otherPolicy, tsp.FailUnacceptedPolicy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := tsp.Respond(tc.req, ts.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tsp.ParseResponse(der)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tsp.StatusRejection || r.FailInfo != tc.fail || r.Token != nil {
				t.Errorf("status %d fail %d", r.Status, r.FailInfo)
			}
			if !errors.Is(r.Err(), tsp.ErrRejected) {
				t.Errorf("Err() = %v", r.Err())
			}
		})
	}
	// A policy from the accepted list is granted with that policy.
	cfg := ts.cfg
	cfg.Policies = []asn1.ObjectIdentifier{tsp.OIDPolicyGOST}
	_, der := request(t, eds.OIDDigestSHA256, []byte("x"), tsp.OIDPolicyGOST)
	resp, err := tsp.Respond(der, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := tsp.ParseResponse(resp)
	tok, err := tsp.ParseToken(r.Token)
	if err != nil || !tok.Info.Policy.Equal(tsp.OIDPolicyGOST) {
		t.Errorf("accepted policy: %v %v", err, tok)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	req, der := request(t, eds.OIDDigestStreebog512, []byte("data"), tsp.OIDPolicyGOST2015)
	got, err := tsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if !got.HashAlgorithm.Equal(req.HashAlgorithm) || !bytes.Equal(got.HashedMessage, req.HashedMessage) ||
		!got.Policy.Equal(req.Policy) || got.Nonce.Cmp(req.Nonce) != 0 || !got.CertReq || len(got.HashedMessage) != 64 {
		t.Errorf("round trip: %+v vs %+v", got, req)
	}
}

func TestHandlerAndClient(t *testing.T) {
	ts := newTSA(t, eds.KeyGOST2015_512)
	h, err := tsp.Handler(ts.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	c := &tsp.Client{URL: srv.URL, Policy: tsp.OIDPolicyGOST2015, Timeout: 5 * time.Second}
	data := []byte("signature bytes")
	token, err := c.TimeStamp(t.Context(), eds.OIDDigestStreebog512, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tsp.VerifyToken(t.Context(), token, tsp.VerifyOptions{Data: data, Validator: ts.v}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, method, ct string
		want             int
	}{
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed},
		{"wrong type", http.MethodPost, "application/json", http.StatusUnsupportedMediaType},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, srv.URL, bytes.NewReader([]byte("x")))
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}

	// A dead TSA: unavailable; a TSA that rejects: rejected.
	dead := &tsp.Client{URL: "http://127.0.0.1:1/", Timeout: time.Second}
	if _, err := dead.TimeStamp(t.Context(), eds.OIDDigestSHA256, data); !errors.Is(err, tsp.ErrUnavailable) {
		t.Errorf("dead TSA: %v", err)
	}
	picky := &tsp.Client{URL: srv.URL, Policy: asn1.ObjectIdentifier{1, 2, 3}}
	if _, err := picky.TimeStamp(t.Context(), eds.OIDDigestSHA256, data); !errors.Is(err, tsp.ErrRejected) {
		t.Errorf("rejected: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.TimeStamp(ctx, eds.OIDDigestSHA256, data); !errors.Is(err, tsp.ErrUnavailable) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestLocal(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	l := &tsp.Local{Config: ts.cfg}
	tok, err := l.TimeStamp(t.Context(), eds.OIDDigestSHA256, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := tsp.VerifyToken(t.Context(), tok, tsp.VerifyOptions{Data: []byte("x"), Validator: ts.v})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Token.Info.HashAlgorithm.Equal(eds.OIDDigestSHA256) {
		t.Errorf("hash %v", v.Token.Info.HashAlgorithm)
	}
}

// A TSA that answers wrongly: Client.TimeStamp and Client.TimeStampMatched both refuse an
// answer that does not match the request (another imprint, nonce, hash algorithm or
// policy); TimeStamp also refuses a token whose signature is broken, which
// TimeStampMatched leaves to its caller (archive.MakeLT's cms.Verify;
// archive.TestMakeLTBrokenToken).
func TestClientChecksTheAnswer(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	ts.cfg.Policies = []asn1.ObjectIdentifier{tsp.OIDPolicyGOST} // granted besides the default
	data := []byte("signature bytes")
	for _, tc := range []struct {
		name       string
		change     func(*tsp.Request) // the request the TSA answers instead
		breakSig   bool
		want       error
		matchedToo bool // TimeStampMatched refuses it too
	}{
		{name: "good"},
		{name: "another imprint", change: func(r *tsp.Request) { r.HashedMessage = bytes.Repeat([]byte{1}, 32) }, want: tsp.ErrImprintMismatch, matchedToo: true},
		{name: "another nonce", change: func(r *tsp.Request) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) }, want: tsp.ErrNonceMismatch, matchedToo: true},
		{name: "no nonce", change: func(r *tsp.Request) { r.Nonce = nil }, want: tsp.ErrNonceMismatch, matchedToo: true},
		// The same 32 bytes, said to be another hash's.
		{name: "another hash algorithm", change: func(r *tsp.Request) { r.HashAlgorithm = eds.OIDDigestStreebog256 }, want: tsp.ErrImprintMismatch, matchedToo: true},
		{name: "another policy", change: func(r *tsp.Request) { r.Policy = tsp.OIDPolicyGOST }, want: tsp.ErrPolicyMismatch, matchedToo: true},
		{name: "broken signature", breakSig: true, want: tsp.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := make([]byte, 4096)
				n, _ := r.Body.Read(body)
				req, err := tsp.ParseRequest(body[:n])
				if err != nil {
					t.Error(err)
					return
				}
				if tc.change != nil {
					tc.change(req)
				}
				der, _ := req.Marshal()
				resp, err := tsp.Respond(der, ts.cfg)
				if err != nil {
					t.Error(err)
					return
				}
				if tc.breakSig {
					pr, _ := tsp.ParseResponse(resp)
					tok, _ := tsp.ParseToken(pr.Token)
					sig := tok.SignedData.Signers[0].Signature
					j := bytes.Index(resp, sig)
					resp[j+len(sig)-1] ^= 1
				}
				w.Header().Set("Content-Type", tsp.ContentTypeReply)
				w.Write(resp)
			}))
			defer srv.Close()
			c := &tsp.Client{URL: srv.URL, Policy: tsp.OIDPolicyGOST2015}
			_, err := c.TimeStamp(t.Context(), eds.OIDDigestSHA256, data)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("TimeStamp: %v, want %v", err, tc.want)
			}
			tok, err := c.TimeStampMatched(t.Context(), eds.OIDDigestSHA256, data)
			switch {
			case tc.matchedToo && !errors.Is(err, tc.want):
				t.Errorf("TimeStampMatched: %v, want %v", err, tc.want)
			case !tc.matchedToo && err != nil:
				t.Errorf("TimeStampMatched: %v", err)
			case !tc.matchedToo:
				_, err := tsp.VerifyToken(t.Context(), tok, tsp.VerifyOptions{Data: data, Validator: ts.v})
				if (tc.want == nil) != (err == nil) {
					t.Errorf("the token TimeStampMatched returned verifies: %v, want an error %v", err, tc.want)
				}
			}
		})
	}
}
