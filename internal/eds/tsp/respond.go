package tsp

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// TSAConfig is a time-stamping authority: its key, certificate and policy.
type TSAConfig struct {
	// Signer is the TSA's key (any eds algorithm; GOST 2015-512 at the NCA).
	Signer eds.Signer
	// Cert is the TSA certificate (with the critical timeStamping extended key usage).
	Cert *x509.Certificate
	// Chain is put into the token after Cert when the request asks for certificates.
	Chain []*x509.Certificate
	// Policy is the policy of tokens whose request names none. Default
	// OIDPolicyGOST2015 (TSA_GOST2015_POLICY).
	Policy asn1.ObjectIdentifier
	// Policies are the other policies a request may ask for; Policy is always accepted.
	Policies []asn1.ObjectIdentifier
	// Now gives genTime. Default time.Now.
	Now func() time.Time
	// Serial gives each token's serial number, unique per TSA. Default: 128 random bits.
	Serial func() (*big.Int, error)
	// Accuracy, when positive, is written into the tokens.
	Accuracy time.Duration
	// Rand is the randomness for signing. Default crypto/rand.
	Rand io.Reader
}

// PKIStatus values (RFC 3161, section 2.4.2).
const (
	StatusGranted                = 0
	StatusGrantedWithMods        = 1
	StatusRejection              = 2
	StatusWaiting                = 3
	StatusRevocationWarning      = 4
	StatusRevocationNotification = 5
)

// PKIFailureInfo bits.
const (
	FailBadAlg              = 0
	FailBadRequest          = 2
	FailBadDataFormat       = 5
	FailTimeNotAvailable    = 14
	FailUnacceptedPolicy    = 15
	FailUnacceptedExtension = 16
	FailSystemFailure       = 25
)

func (c *TSAConfig) check() error {
	if c.Signer == nil || c.Cert == nil {
		return fmt.Errorf("%w: TSA needs a signer and a certificate", ErrTSACertificate)
	}
	pub, err := eds.ParsePublicKey(c.Cert.RawSubjectPublicKeyInfo)
	if err != nil || !pub.Equal(c.Signer.Public()) {
		return fmt.Errorf("%w: the TSA certificate is not the signer's", ErrTSACertificate)
	}
	return checkTSACert(c.Cert)
}

// checkTSACert requires the extended key usage extension to be critical and to hold
// only id-kp-timeStamping.
func checkTSACert(c *x509.Certificate) error {
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			if !e.Critical {
				return fmt.Errorf("%w: extended key usage is not critical", ErrTSACertificate)
			}
			if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
				return fmt.Errorf("%w: extended key usage must be timeStamping only", ErrTSACertificate)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: no extended key usage", ErrTSACertificate)
}

// Respond answers a DER (or BER) TimeStampReq. A request it cannot grant (malformed, an
// unknown hash algorithm or a wrong imprint length, a policy it does not serve,
// extensions) gets a rejection response with the matching failure bit; the error is
// non-nil only when the TSA itself fails (bad configuration, signing error), and then
// the response is a systemFailure rejection.
func Respond(reqDER []byte, cfg TSAConfig) ([]byte, error) {
	if err := cfg.check(); err != nil {
		return rejection(FailSystemFailure, "TSA misconfigured"), err
	}
	req, err := ParseRequest(reqDER)
	if err != nil {
		return rejection(FailBadDataFormat, "malformed request"), nil
	}
	h, ok := eds.LookupDigestAlgorithm(req.HashAlgorithm)
	if !ok {
		return rejection(FailBadAlg, "unsupported hash algorithm"), nil
	}
	if len(req.HashedMessage) != h().Size() {
		return rejection(FailBadDataFormat, "imprint length does not fit the hash algorithm"), nil
	}
	policy := cfg.Policy
	if policy == nil {
		policy = OIDPolicyGOST2015
	}
	if req.Policy != nil && !req.Policy.Equal(policy) {
		if !slices.ContainsFunc(cfg.Policies, req.Policy.Equal) {
			return rejection(FailUnacceptedPolicy, "policy not served"), nil
		}
		policy = req.Policy
	}
	if req.HasExtensions {
		return rejection(FailUnacceptedExtension, "extensions are not supported"), nil
	}
	token, err := issue(req, policy, cfg)
	if err != nil {
		return rejection(FailSystemFailure, "TSA failure"), err
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(StatusGranted) })
		b.AddBytes(token)
	})
	return b.Bytes()
}

// issue makes the token: a SignedData over the TSTInfo, signed attributes contentType,
// messageDigest, signingTime and signing-certificate-v2 (ESSCertIDv2, SHA-256).
func issue(req *Request, policy asn1.ObjectIdentifier, cfg TSAConfig) ([]byte, error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	serial := randomSerial
	if cfg.Serial != nil {
		serial = cfg.Serial
	}
	sn, err := serial()
	if err != nil {
		return nil, fmt.Errorf("tsp: serial number: %w", err)
	}
	genTime := now().UTC().Truncate(time.Millisecond)
	info := TSTInfo{
		Policy:        policy,
		HashAlgorithm: req.HashAlgorithm,
		HashedMessage: req.HashedMessage,
		SerialNumber:  sn,
		GenTime:       genTime,
		Accuracy:      cfg.Accuracy,
		Nonce:         req.Nonce,
		TSAName:       cfg.Cert.RawSubject,
	}
	content, err := info.marshal()
	if err != nil {
		return nil, fmt.Errorf("tsp: TSTInfo: %w", err)
	}
	digestOID, err := signeddata.DigestOf(cfg.Signer.Algorithm())
	if err != nil {
		return nil, err
	}
	md, err := signeddata.Digest(digestOID, content)
	if err != nil {
		return nil, err
	}
	st, err := signeddata.AttrSigningTime(genTime)
	if err != nil {
		return nil, err
	}
	scv2, err := signeddata.AttrSigningCertificateV2(cfg.Cert, eds.OIDDigestSHA256)
	if err != nil {
		return nil, err
	}
	si, err := signeddata.NewSignerInfo(cfg.Rand, cfg.Signer, cfg.Cert, []signeddata.Attribute{
		signeddata.AttrContentType(signeddata.OIDContentTSTInfo),
		signeddata.AttrMessageDigest(md),
		st,
		scv2,
	})
	if err != nil {
		return nil, err
	}
	sd := &signeddata.SignedData{
		ContentType: signeddata.OIDContentTSTInfo,
		Content:     content,
		HasContent:  true,
		Signers:     []*signeddata.SignerInfo{si},
	}
	sd.AddDigestAlgorithm(digestOID)
	if req.CertReq {
		sd.AddCertificate(cfg.Cert)
		for _, c := range cfg.Chain {
			sd.AddCertificate(c)
		}
	}
	return sd.Marshal()
}

func randomSerial() (*big.Int, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // keep 16 bytes, positive
	return new(big.Int).SetBytes(b[:]), nil
}

// rejection encodes a TimeStampResp with status rejection, a text and one failure bit.
func rejection(bit int, text string) []byte {
	fi := asn1.BitString{Bytes: make([]byte, bit/8+1), BitLength: bit + 1}
	fi.Bytes[bit/8] = 0x80 >> (bit % 8)
	fiDER, _ := asn1.Marshal(fi)
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(StatusRejection)
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(casn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(text)) })
			})
			b.AddBytes(fiDER)
		})
	})
	return b.BytesOrPanic()
}

// Content types of RFC 3161 over HTTP.
const (
	ContentTypeQuery = "application/timestamp-query"
	ContentTypeReply = "application/timestamp-reply"
)

// maxRequestSize bounds a TimeStampReq body: an imprint of 64 bytes and a few fields.
const maxRequestSize = 64 << 10

// Handler serves RFC 3161 over HTTP: POST application/timestamp-query, answered with
// application/timestamp-reply (rejections included, with HTTP 200 as the RFC has it).
// Other methods get 405, other content types 415, oversized bodies 413. The
// configuration is checked once here.
func Handler(cfg TSAConfig, log *slog.Logger) (http.Handler, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != ContentTypeQuery {
			http.Error(w, "content type must be "+ContentTypeQuery, http.StatusUnsupportedMediaType)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestSize))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		resp, err := Respond(body, cfg)
		if err != nil {
			log.ErrorContext(r.Context(), "time-stamp failed", slog.String("error", err.Error()))
		}
		w.Header().Set("Content-Type", ContentTypeReply)
		w.Header().Set("Content-Length", fmt.Sprint(len(resp)))
		_, _ = io.Copy(w, bytes.NewReader(resp))
	}), nil
}
