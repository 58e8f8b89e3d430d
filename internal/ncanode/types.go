package ncanode

import (
	"encoding/json"
	"time"

	"github.com/senimkz/senim/internal/eds/pki"
)

// Requests, in NCANode v3's JSON names. Unknown members are ignored, as NCANode
// (Spring, Jackson) ignores them.

// KeyRequest is one PKCS#12 key: NCANode's SignerRequest.
type KeyRequest struct {
	Key      string `json:"key"`      // Base64 of the PKCS#12 file
	Password string `json:"password"` // its password
	KeyAlias string `json:"keyAlias"` // optional: the alias (hex SKI) of the key to use
}

// Pkcs12InfoRequest is the body of POST /pkcs12/info.
type Pkcs12InfoRequest struct {
	Keys            []KeyRequest `json:"keys"`
	RevocationCheck []string     `json:"revocationCheck"`
}

// X509InfoRequest is the body of POST /x509/info.
type X509InfoRequest struct {
	Certs           []string `json:"certs"` // Base64 of DER or of PEM, or PEM text
	RevocationCheck []string `json:"revocationCheck"`
}

// CmsSignRequest is the body of POST /cms/sign and /cms/sign/add (which also
// needs CMS, and Data when CMS is detached).
type CmsSignRequest struct {
	Data      string       `json:"data"`
	Signers   []KeyRequest `json:"signers"`
	WithTsp   bool         `json:"withTsp"`
	TsaPolicy string       `json:"tsaPolicy"` // TSA_GOST_POLICY | TSA_GOSTGT_POLICY | TSA_GOST2015_POLICY (default)
	Detached  bool         `json:"detached"`
	CMS       string       `json:"cms"`
	// CadesLevel (newer NCANode): B, T or LT, the level of the signatures made
	// (LT: T, then validated and their chain and deciding CRLs embedded, as
	// /cms/extend); absent: B, or T with withTsp. LTA is refused.
	CadesLevel string `json:"cadesLevel"`
}

// CmsVerifyRequest is the body of POST /cms/verify.
type CmsVerifyRequest struct {
	CMS             string   `json:"cms"`
	Data            string   `json:"data"` // the content of a detached CMS
	RevocationCheck []string `json:"revocationCheck"`
}

// CmsExtractRequest is the body of POST /cms/extract.
type CmsExtractRequest struct {
	CMS string `json:"cms"`
}

// Responses.

// Status is what every response carries: the HTTP status and a message ("OK", or
// why the request failed).
type Status struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// ErrorResponse is the body of every error: NCANode's {status, message} plus code,
// Senim's stable dotted code.
type ErrorResponse struct {
	Status
	Code string `json:"code"`
}

// VerificationResponse answers /pkcs12/info and /x509/info: one CertificateInfo per
// key or certificate, in request order; Valid when every one is valid.
type VerificationResponse struct {
	Status
	Valid bool `json:"valid"`
	// Signers has null where /x509/info was given a certificate that does not
	// parse, as NCANode.
	Signers []*CertificateInfo `json:"signers"`
}

// CertificateInfo is NCANode's CertificateInfo. Chain and Errors extend it.
type CertificateInfo struct {
	// Valid: the certificate chains to a configured trust anchor with good signatures,
	// every certificate of the chain is within its validity period now, and every
	// requested revocation check says good. False when no trust anchors are configured.
	Valid        bool         `json:"valid"`
	Revocations  []Revocation `json:"revocations"`
	NotBefore    Time         `json:"notBefore"`
	NotAfter     Time         `json:"notAfter"`
	KeyUsage     string       `json:"keyUsage"` // SIGN | AUTH | UNKNOWN
	SerialNumber string       `json:"serialNumber"`
	SignAlg      string       `json:"signAlg"`
	KeyUser      []pki.Role   `json:"keyUser"`
	PublicKey    string       `json:"publicKey"` // Base64 of the DER SubjectPublicKeyInfo
	Signature    string       `json:"signature"` // Base64 of the certificate's signature value
	Subject      pki.Subject  `json:"subject"`
	Issuer       pki.Subject  `json:"issuer"`

	// Chain (extension) lists the DNs of the chain built, leaf first, trust anchor
	// last; absent when none was built.
	Chain []string `json:"chain,omitempty"`
	// Errors (extension) lists the stable codes of the failed checks.
	Errors []string `json:"errors,omitempty"`
}

// Revocation is NCANode's CertificateRevocationStatus. Status extends it.
// revocationTime and reason are null (not absent) where NCANode sends null.
type Revocation struct {
	Revoked        bool   `json:"revoked"`
	By             string `json:"by"` // OCSP | CRL
	RevocationTime *Time  `json:"revocationTime"`
	// Reason is Java's CRLReason name (SUPERSEDED, CERTIFICATE_HOLD, ...) for a
	// revoked certificate; "OK" for a good OCSP answer and null for a good CRL
	// answer, as NCANode; for an unknown status, the stable code of why.
	Reason *string `json:"reason"`
	// Status (extension): good, revoked or unknown. Unknown — the source could not
	// answer, or was not asked because the certificate's issuer is not trusted —
	// has revoked false and still makes the certificate invalid.
	Status string `json:"status"`
}

// CmsResponse answers /cms/sign and /cms/sign/add.
type CmsResponse struct {
	Status
	CMS string `json:"cms"`
}

// CmsDataResponse answers /cms/extract.
type CmsDataResponse struct {
	Status
	Data string `json:"data"`
}

// CmsVerificationResponse answers /cms/verify.
type CmsVerificationResponse struct {
	Status
	Valid   bool            `json:"valid"`
	Signers []CmsSignerInfo `json:"signers"`
}

// CmsSignerInfo is one signer of a CMS: NCANode's CmsSignerInfo. Valid and Errors
// extend it.
type CmsSignerInfo struct {
	Certificates []CertificateInfo `json:"certificates"`
	Tsp          *TspInfo          `json:"tsp,omitempty"`
	// Valid (extension): signature, message digest, signing-certificate attribute,
	// certificate (chain, validity at the proven signing time, revocation) and
	// time-stamp are all good.
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors,omitempty"`
}

// TspInfo is NCANode's TspInfo: the signature time-stamp of a signer. Valid
// extends it.
type TspInfo struct {
	SerialNumber string `json:"serialNumber"` // hex
	GenTime      Time   `json:"genTime"`
	Policy       string `json:"policy"` // dotted OID
	// TSA is Kalkan's GeneralName.toString() of the token's tsa field
	// ("4: CN=...,O=...,C=KZ"); "" is written as null, as NCANode writes a
	// token without one.
	TSA              string `json:"tsa"`
	TspHashAlgorithm string `json:"tspHashAlgorithm"`
	Hash             string `json:"hash"` // hex of the message imprint
	Valid            bool   `json:"valid"`
}

// MarshalJSON writes TSA "" as null, in NCANode's member order.
func (t TspInfo) MarshalJSON() ([]byte, error) {
	var tsa *string
	if t.TSA != "" {
		tsa = &t.TSA
	}
	return json.Marshal(struct {
		SerialNumber     string  `json:"serialNumber"`
		GenTime          Time    `json:"genTime"`
		Policy           string  `json:"policy"`
		TSA              *string `json:"tsa"`
		TspHashAlgorithm string  `json:"tspHashAlgorithm"`
		Hash             string  `json:"hash"`
		Valid            bool    `json:"valid"`
	}{t.SerialNumber, t.GenTime, t.Policy, tsa, t.TspHashAlgorithm, t.Hash, t.Valid})
}

// Pkcs12AliasesResponse answers /pkcs12/aliases: the aliases of each key file,
// in request order.
type Pkcs12AliasesResponse struct {
	Status
	Aliases [][]string `json:"aliases"`
}

// X509VerifyRequest is the body of POST /x509/verify (NCANode's SbaVerifyRequest):
// a raw signature over the UTF-8 bytes of data, by certificate.
type X509VerifyRequest struct {
	Certificate     string   `json:"certificate"` // Base64 DER (or PEM)
	Signature       string   `json:"signature"`   // Base64
	Data            string   `json:"data"`        // the signed text itself
	RevocationCheck []string `json:"revocationCheck"`
}

// HealthResponse answers GET /actuator/health as Spring Boot's actuator does.
type HealthResponse struct {
	Status string `json:"status"`
}

// Time renders as NCANode (Jackson) renders a java.util.Date:
// 2026-06-02T10:00:00.000+00:00.
type Time time.Time

// TimeLayout is the layout of Time.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler (for clients and tests).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := time.Parse(`"`+TimeLayout+`"`, string(b))
	if err != nil {
		return err
	}
	*t = Time(v)
	return nil
}
