package client

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// Key is an organization's EDS key with its certificate chain: it signs requests and
// verification tokens. Make one with NewKey from any crypto.Signer — an HSM, a PKCS#11
// token, a cloud KMS, a key in memory — or with LoadPKCS12 from an NCA key file.
type Key struct {
	signer eds.Signer
	chain  []*x509.Certificate
	// BIN is the organization's BIN from the certificate (OU=BIN…).
	BIN string
}

// LoadPKCS12 reads an NCA PKCS#12 key file (GOST 2015, RSA or ECDSA) and returns its
// first key with the certificate chain the file holds.
func LoadPKCS12(data []byte, password string) (*Key, error) {
	f, err := pkcs12.Decode(data, password)
	if err != nil {
		return nil, err
	}
	for _, e := range f.Entries {
		if e.PrivateKey != nil && e.Certificate != nil {
			return newKey(e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...))
		}
	}
	return nil, errors.New("client: the key file holds no key with a certificate")
}

// NewKey wraps any signer of the certificate's key with its chain (leaf first, then
// intermediates). The signer's key must be the certificate's.
//
// How the signer is called depends on the certificate's key:
//
//   - RSA: Sign(rand, SHA-256 digest, crypto.SHA256), PKCS#1 v1.5 signature (RS256);
//   - ECDSA P-256/P-384/P-521: Sign(rand, SHA-256/384/512 digest, that hash), ASN.1 DER
//     signature (ES256/ES384/ES512);
//   - Ed25519: Sign(rand, message, crypto.Hash(0)) (EdDSA);
//   - GOST R 34.10-2015 (512 or 256) and GOST 34.310-2004, the NCA's keys: Sign(rand,
//     digest, GOSTOpts) where digest is the Streebog-512, Streebog-256 or GOST 34.311
//     digest of the message, and the signature is in the NCA's encoding (r and s,
//     little-endian, concatenated). A GOST key in memory is a *GOSTKey
//     (ParseGOSTKey); a GOST token or HSM implements crypto.Signer the same way.
func NewKey(signer crypto.Signer, chain []*x509.Certificate) (*Key, error) {
	if signer == nil || len(chain) == 0 || chain[0] == nil {
		return nil, errors.New("client: a signer and its certificate are required")
	}
	if g, ok := signer.(*GOSTKey); ok {
		if !g.k.Public().Equal(mustPublic(chain[0])) {
			return nil, errors.New("client: the key is not the certificate's")
		}
		return newKey(g.k, chain)
	}
	s, err := newCryptoSigner(signer, chain[0])
	if err != nil {
		return nil, err
	}
	return newKey(s, chain)
}

func mustPublic(c *x509.Certificate) *eds.PublicKey {
	p, err := eds.ParsePublicKey(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return &eds.PublicKey{}
	}
	return p
}

func newKey(signer eds.Signer, chain []*x509.Certificate) (*Key, error) {
	bin := pki.Info(chain[0]).Subject.BIN
	if bin == "" {
		return nil, errors.New("client: the certificate names no BIN (OU=BIN…): not an organization's key")
	}
	return &Key{signer: signer, chain: chain, BIN: bin}, nil
}

// Certificate returns the key's certificate.
func (k *Key) Certificate() *x509.Certificate { return k.chain[0] }

// VerificationClaims are the claims of a verification token (see Senim's API
// documentation). VerificationToken fills Issuer, IssuedAt and ID when empty.
type VerificationClaims struct {
	Issuer        string        `json:"iss"`
	Subject       string        `json:"sub"`
	IssuedAt      int64         `json:"iat"`
	ID            string        `json:"jti"`
	Mode          string        `json:"mode"` // proactive | protocol
	ServiceCode   string        `json:"service_code,omitempty"`
	GroundCode    string        `json:"ground_code,omitempty"`
	Consent       *ConsentClaim `json:"consent"`
	AccessMethods []string      `json:"access_methods,omitempty"`
	Owner         string        `json:"owner"`
	Scope         []string      `json:"scope"`
	Purpose       string        `json:"purpose,omitempty"`
}

// ConsentClaim says whether and how consent was obtained.
type ConsentClaim struct {
	Obtained    bool   `json:"obtained"`
	Method      string `json:"method,omitempty"`
	EvidenceRef string `json:"evidence_ref,omitempty"`
}

// VerificationTokenType is the JWS typ of a verification token.
const VerificationTokenType = "senim-vt+jwt"

// VerificationToken signs c as a compact JWS with the key's certificate in x5c. Only
// the leaf travels: Senim knows the NCA's (and the sandbox's) intermediates, and every
// certificate in the header is hashed with each signature — with Streebog-512 that
// is most of a GOST token's cost.
func (k *Key) VerificationToken(c VerificationClaims, now time.Time) (string, error) {
	if c.Issuer == "" {
		c.Issuer = k.BIN
	}
	if c.IssuedAt == 0 {
		c.IssuedAt = now.Unix()
	}
	if c.ID == "" {
		var b [16]byte
		rand.Read(b[:])
		c.ID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	tok, err := jws.Sign(k.signer, k.chain[:1], VerificationTokenType, payload)
	if err != nil {
		return "", fmt.Errorf("client: signing the verification token: %w", err)
	}
	return tok, nil
}

// ProactiveToken makes a flow-1 verification token.
func (k *Key) ProactiveToken(subject, serviceCode, owner string, scope []string, consentMethod, evidenceRef string, now time.Time) (string, error) {
	return k.VerificationToken(VerificationClaims{Subject: subject, Mode: "proactive", ServiceCode: serviceCode,
		Consent: &ConsentClaim{Obtained: true, Method: consentMethod, EvidenceRef: evidenceRef}, AccessMethods: []string{"api"},
		Owner: owner, Scope: scope}, now)
}

// ProtocolToken makes a flow-2 verification token ("no consent obtained").
func (k *Key) ProtocolToken(subject, groundCode, owner string, scope []string, purpose string, now time.Time) (string, error) {
	return k.VerificationToken(VerificationClaims{Subject: subject, Mode: "protocol", GroundCode: groundCode,
		Consent: &ConsentClaim{Obtained: false}, Owner: owner, Scope: scope, Purpose: purpose}, now)
}
