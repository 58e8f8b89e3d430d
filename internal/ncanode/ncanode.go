package ncanode

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/problem"
)

// Defaults of Config.
const (
	// DefaultMaxBody bounds a request body. NCANode's clients send key files and
	// documents inline in Base64.
	DefaultMaxBody = 16 << 20
	// DefaultMaxItems bounds the keys of /pkcs12/info, the certificates of /x509/info
	// and the signers of /cms/sign.
	DefaultMaxItems = 32
	// DefaultMaxSigners bounds the signers of a CMS to verify (each costs a GOST
	// verification, ~9 ms, plus its chain).
	DefaultMaxSigners = 32
)

// Config configures an API.
type Config struct {
	// Validator holds the trust anchors, CRLs and OCSP client. Nil: no certificate is
	// trusted, so every certificate and signer is reported invalid, as NCANode
	// reports a certificate whose issuer it does not know.
	Validator *pki.Validator
	// TSA returns the time-stamping authority for a policy (tsp.OIDPolicyGOST2015 ...).
	// Nil: requests with withTsp are refused with 400 eds.tsp.not_configured.
	TSA func(policy asn1.ObjectIdentifier) cms.TimeStamper
	// TSARevocation lists the revocation checks of time-stamping authorities'
	// certificates in /cms/verify. Nil: the checks the request asks for signers (the
	// NCA's TSA certificate is on the NCA's CRL); non-nil, even empty: these.
	TSARevocation []pki.RevocationMethod
	// CRLs returns the CRLs the Validator decides with; /cms/extend embeds those of
	// the CAs on a signer's or TSA's chain (CAdES-LT). Nil: none are embedded.
	CRLs func() []*pki.CRL
	// Now is the clock: validation time and signingTime. Default time.Now.
	Now func() time.Time
	// Logger receives one line per failed request (code and path, never keys,
	// passwords, names or numbers). Default slog.Default().
	Logger *slog.Logger
	// MaxBody bounds a request body. Default DefaultMaxBody.
	MaxBody int64
	// MaxItems bounds keys, certs and signers in one request. Default DefaultMaxItems.
	MaxItems int
	// MaxSigners bounds the signers of a CMS to verify. Default DefaultMaxSigners.
	MaxSigners int

	// SandboxSigner, when set, enables POST /v1/eds/sign (RegisterV1): it returns the
	// key of the authenticated caller of r (e.g. the sandbox key of the demo citizen
	// or organisation). Its error is rendered as problem+json (return a
	// *problem.Problem such as problem.Unauthenticated). Set it only in the sandbox.
	SandboxSigner func(ctx context.Context, r *http.Request) (cms.SignerSpec, error)
}

// API serves the NCANode-compatible endpoints (Register) and the main API's
// /v1/eds endpoints (RegisterV1).
type API struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg, fills its defaults and returns an API.
func New(cfg Config) (*API, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBody < 0 || cfg.MaxItems < 0 || cfg.MaxSigners < 0 {
		return nil, errors.New("ncanode: negative limit")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxItems == 0 {
		cfg.MaxItems = DefaultMaxItems
	}
	if cfg.MaxSigners == 0 {
		cfg.MaxSigners = DefaultMaxSigners
	}
	return &API{cfg: cfg, log: cfg.Logger}, nil
}

// Register mounts NCANode v3's endpoints with handle (e.g. mux.Handle), at
// NCANode's paths:
//
//	POST /pkcs12/info     {keys: [{key, password, keyAlias?}], revocationCheck}  → VerificationResponse
//	POST /x509/info       {certs: [b64], revocationCheck}                        → VerificationResponse
//	POST /cms/sign        {data, signers, withTsp, tsaPolicy, detached}          → CmsResponse
//	POST /cms/sign/add    the same plus cms                                      → CmsResponse
//	POST /cms/verify      {cms, data?, revocationCheck}                          → CmsVerificationResponse
//	POST /cms/extract     {cms}                                                  → CmsDataResponse
//	POST /cms/extend      {cms, data?, cadesLevel, tsaPolicy}                    → CmsResponse
//	POST /jwt/encode      {jwt: {header: {alg, typ}, payload}, key, password, keyAlias} → {jwt}
//	POST /jwt/decode      {jwt, key (certificate)}                               → {valid, jwt: {header, payload}}
//	POST /jws/sign        {payload, detached, typ, signers: [{alg, key, password, keyAlias}]} → {jws}
//	POST /jws/sign/add    the same plus jws                                      → {jws}
//	POST /jws/verify      {jws, payload?, revocationCheck}                       → {valid, signers, payload}
//	POST /pkcs12/aliases  {keys: [{key, password}]}                              → {aliases: [[alias]]}
//	POST /x509/verify     {certificate, signature, data, revocationCheck}        → VerificationResponse
//	POST /x509/sign       {data, signer: {key, password, keyAlias}}              → {certificate, signature}
//	GET  /actuator/health                                                        → {status: "UP"}
//	POST /xml/sign        {xml, signers: [{key, password, keyAlias, referenceUri}], clearSignatures, trimXml} → {xml}
//	POST /xml/verify      {xml, revocationCheck}                                 → XmlVerificationResponse
//	POST /wsse/sign       {xml, key, password, keyAlias, trimXml}                → {xml}
//	POST /wsse/verify     {xml, revocationCheck}                                 → XmlVerificationResponse
//	POST /pdf/sign        {pdf, signers: [{reason, location, contactInfo, signer}], withTsp, tsaPolicy} → {pdf}
//	POST /pdf/verify      {pdf, revocationCheck}                                 → PdfVerificationResponse
//	POST /pdf/extend      {pdf, padesLevel: T|LT|LTA, tsaPolicy}                 → {pdf}
//
// Mount them only on a listener inside the organisation's network: clients send
// private keys and passwords, and there is no authentication (see the package
// documentation).
func (a *API) Register(handle func(pattern string, h http.Handler)) {
	handle("POST /pkcs12/info", a.endpoint(a.pkcs12Info))
	handle("POST /x509/info", a.endpoint(a.x509Info))
	handle("POST /cms/sign", a.endpoint(a.cmsSign))
	handle("POST /cms/sign/add", a.endpoint(a.cmsSignAdd))
	handle("POST /cms/verify", a.endpoint(a.cmsVerify))
	handle("POST /cms/extract", a.endpoint(a.cmsExtract))
	handle("POST /xml/sign", a.endpoint(a.xmlSign))
	handle("POST /xml/verify", a.endpoint(a.xmlVerify))
	handle("POST /wsse/sign", a.endpoint(a.wsseSign))
	handle("POST /wsse/verify", a.endpoint(a.wsseVerify))
	handle("POST /cms/extend", a.endpoint(a.cmsExtend))
	handle("POST /jwt/encode", a.endpoint(a.jwtEncode))
	handle("POST /jwt/decode", a.endpoint(a.jwtDecode))
	handle("POST /jws/sign", a.endpoint(a.jwsSign))
	handle("POST /jws/sign/add", a.endpoint(a.jwsSignAdd))
	handle("POST /jws/verify", a.endpoint(a.jwsVerify))
	handle("POST /pkcs12/aliases", a.endpoint(a.pkcs12Aliases))
	handle("POST /x509/verify", a.endpoint(a.x509Verify))
	handle("POST /x509/sign", a.endpoint(a.x509Sign))
	a.registerPDF(handle)
	handle("GET /actuator/health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, HealthResponse{Status: "UP"})
	}))
}

// endpoint adapts a handler that reads its body and returns a response or an error.
func (a *API) endpoint(f func(ctx context.Context, body []byte) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				a.writeError(w, r, fail(http.StatusInternalServerError, ErrInternal, "", fmt.Errorf("panic: %v", v)))
			}
		}()
		body, err := a.readBody(w, r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		out, err := f(r.Context(), body)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// readBody checks the media type and reads at most MaxBody bytes with the main API's
// decoder checks (problem.ReadJSON), answering its refusals in NCANode's error shape.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := problem.ReadJSON(w, r, a.cfg.MaxBody)
	if err == nil {
		return body, nil
	}
	switch p := problem.From(err); p.Code {
	case problem.UnsupportedMedia.Code:
		return nil, fail(http.StatusUnsupportedMediaType, ErrUnsupportedMedia, "", nil)
	case problem.TooLarge.Code:
		return nil, fail(http.StatusRequestEntityTooLarge, ErrTooLarge, fmt.Sprintf("The request body is larger than %d bytes", a.cfg.MaxBody), nil)
	default:
		return nil, fail(http.StatusBadRequest, ErrMalformedJSON, "The request body could not be read", err)
	}
}

// decode reads one JSON object into v. Unknown members are ignored, as NCANode does.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		return fail(http.StatusBadRequest, ErrMalformedJSON, "The request body must be a JSON object", nil)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fail(http.StatusBadRequest, ErrMalformedJSON, fmt.Sprintf("%s: wrong JSON type", te.Field), err)
		}
		return fail(http.StatusBadRequest, ErrMalformedJSON, "", err)
	}
	return nil
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	level := slog.LevelWarn
	if ae.status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.Int("status", ae.status), slog.String("code", ae.code)}
	if ae.status >= 500 && ae.cause != nil {
		// Internal failures only; client errors' causes may quote the input.
		attrs = append(attrs, slog.String("error", ae.cause.Error()))
	}
	a.log.LogAttrs(r.Context(), level, "ncanode: request failed", attrs...)
	writeJSON(w, ae.status, ErrorResponse{Status: Status{Status: ae.status, Message: ae.message}, Code: ae.code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorResponse{Status: Status{Status: status, Message: ErrInternal.Error()}, Code: ErrInternal.Code()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

var ok = Status{Status: http.StatusOK, Message: "OK"}

// --- /pkcs12/info and /x509/info ---

func (a *API) pkcs12Info(ctx context.Context, body []byte) (any, error) {
	var req Pkcs12InfoRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	if err := a.count("keys", len(req.Keys)); err != nil {
		return nil, err
	}
	resp := VerificationResponse{Status: ok, Valid: true, Signers: []*CertificateInfo{}}
	for i, k := range req.Keys {
		e, err := openKey(fmt.Sprintf("keys[%d]", i), k)
		if err != nil {
			return nil, err
		}
		ci := a.certificateInfo(ctx, e.Certificate, e.CACertificates, methods)
		resp.Valid = resp.Valid && ci.Valid
		resp.Signers = append(resp.Signers, &ci)
	}
	return resp, nil
}

// msgCertInvalid is NCANode's message for an entry of certs that is not a
// certificate (MessageConstants.CERT_INVALID).
const msgCertInvalid = "[%d]: Invalid certificate given."

// x509Info answers as NCANode: an entry that is not a certificate gives null in
// signers, valid false and the message "[i]: Invalid certificate given." (the
// last such i), still with HTTP 200; an empty certs gives valid false.
func (a *API) x509Info(ctx context.Context, body []byte) (any, error) {
	var req X509InfoRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	if req.Certs == nil {
		return nil, invalidField("certs", "required")
	}
	if len(req.Certs) > a.cfg.MaxItems {
		return nil, invalidField("certs", fmt.Sprintf("at most %d", a.cfg.MaxItems))
	}
	resp := VerificationResponse{Status: ok, Valid: len(req.Certs) > 0, Signers: []*CertificateInfo{}}
	var certs []*x509.Certificate
	for i, s := range req.Certs {
		cs, err := parseCertField(fmt.Sprintf("certs[%d]", i), s)
		if err != nil {
			resp.Message = fmt.Sprintf(msgCertInvalid, i)
			resp.Valid = false
			certs = append(certs, nil)
			continue
		}
		certs = append(certs, cs...)
	}
	if len(certs) > a.cfg.MaxItems {
		return nil, invalidField("certs", fmt.Sprintf("at most %d certificates", a.cfg.MaxItems))
	}
	for i, c := range certs {
		if c == nil {
			resp.Signers = append(resp.Signers, nil)
			continue
		}
		// The other certificates of the request may serve as (untrusted) intermediates.
		others := make([]*x509.Certificate, 0, len(certs)-1)
		for j, o := range certs {
			if j != i && o != nil {
				others = append(others, o)
			}
		}
		ci := a.certificateInfo(ctx, c, others, methods)
		resp.Valid = resp.Valid && ci.Valid
		resp.Signers = append(resp.Signers, &ci)
	}
	return resp, nil
}

func (a *API) count(field string, n int) error {
	if n == 0 {
		return invalidField(field, "at least one is required")
	}
	if n > a.cfg.MaxItems {
		return invalidField(field, fmt.Sprintf("at most %d", a.cfg.MaxItems))
	}
	return nil
}

// certificateInfo validates cert now and renders it.
func (a *API) certificateInfo(ctx context.Context, cert *x509.Certificate, extra []*x509.Certificate, methods []pki.RevocationMethod) CertificateInfo {
	return a.certificateInfoAt(ctx, cert, extra, methods, a.cfg.Now())
}

// renderCert renders cert in NCANode's CertificateInfo shape; res is its
// validation, nil when it was not validated (then it is not valid). Every
// requested revocation method has an entry, as NCANode gives one even when the
// issuer is not trusted (then with status unknown).
func renderCert(cert *x509.Certificate, res *pki.Result, methods []pki.RevocationMethod) CertificateInfo {
	info := pki.Info(cert)
	ci := CertificateInfo{
		Revocations:  []Revocation{},
		NotBefore:    Time(info.NotBefore),
		NotAfter:     Time(info.NotAfter),
		KeyUsage:     info.KeyUsage,
		SerialNumber: info.SerialNumber,
		SignAlg:      info.SignatureAlgorithm,
		KeyUser:      info.Roles,
		PublicKey:    base64.StdEncoding.EncodeToString(cert.RawSubjectPublicKeyInfo),
		Signature:    base64.StdEncoding.EncodeToString(cert.Signature),
		Subject:      info.Subject,
		Issuer:       info.Issuer,
	}
	// NCANode's dn is Java's X500Principal.toString().
	ci.Subject.DN = javaDN(cert.RawSubject)
	ci.Issuer.DN = javaDN(cert.RawIssuer)
	if ci.KeyUser == nil {
		ci.KeyUser = []pki.Role{}
	}
	why := pki.ErrUntrusted.Code()
	if res != nil {
		ci.Valid = res.Valid
		for _, c := range res.Chain {
			ci.Chain = append(ci.Chain, javaDN(c.RawSubject))
		}
		for _, err := range res.Errors {
			ci.Errors = append(ci.Errors, codeOf(err))
		}
		if len(ci.Errors) > 0 {
			why = ci.Errors[0]
		}
	}
	// NCANode lists the CRL answer, then the OCSP one.
	for _, m := range []pki.RevocationMethod{pki.RevocationCRL, pki.RevocationOCSP} {
		var rc pki.RevocationCheck
		if res != nil {
			rc = res.CRL
			if m == pki.RevocationOCSP {
				rc = res.OCSP
			}
		}
		if r, ok := renderRevocation(rc); ok {
			ci.Revocations = append(ci.Revocations, r)
		} else if slices.Contains(methods, m) {
			ci.Revocations = append(ci.Revocations, Revocation{By: string(m), Status: string(pki.StatusUnknown), Reason: &why})
		}
	}
	return ci
}

// javaCRLReasons are the names of Java's java.security.cert.CRLReason, which
// NCANode writes as reason.
var javaCRLReasons = map[pki.Reason]string{
	pki.ReasonUnspecified: "UNSPECIFIED", pki.ReasonKeyCompromise: "KEY_COMPROMISE",
	pki.ReasonCACompromise: "CA_COMPROMISE", pki.ReasonAffiliationChanged: "AFFILIATION_CHANGED",
	pki.ReasonSuperseded: "SUPERSEDED", pki.ReasonCessationOfOperation: "CESSATION_OF_OPERATION",
	pki.ReasonCertificateHold: "CERTIFICATE_HOLD", 7: "UNUSED", pki.ReasonRemoveFromCRL: "REMOVE_FROM_CRL",
	pki.ReasonPrivilegeWithdrawn: "PRIVILEGE_WITHDRAWN", pki.ReasonAACompromise: "AA_COMPROMISE",
}

func renderRevocation(c pki.RevocationCheck) (Revocation, bool) {
	if c.Status == "" || c.Status == pki.StatusNotChecked {
		return Revocation{}, false
	}
	r := Revocation{Revoked: c.Status == pki.StatusRevoked, By: string(c.Method), Status: string(c.Status)}
	str := func(s string) *string { return &s }
	switch {
	case !c.RevokedAt.IsZero():
		t := Time(c.RevokedAt)
		r.RevocationTime = &t
		name, ok := javaCRLReasons[c.Reason]
		if !ok {
			name = c.Reason.String()
		}
		r.Reason = &name
	case c.Status == pki.StatusUnknown && c.Err != nil:
		r.Reason = str(codeOf(c.Err))
	case c.Status == pki.StatusUnknown:
		r.Reason = str(pki.ErrUntrusted.Code())
	case c.Method == pki.RevocationOCSP:
		r.Reason = str("OK") // NCANode: the OCSP message of a good answer
	}
	return r, true
}

func codeOf(err error) string {
	var ae interface{ Code() string }
	if errors.As(err, &ae) && ae.Code() != "" {
		return ae.Code()
	}
	return "eds.error"
}

// revocationMethods reads NCANode's revocationCheck (OCSP, CRL; any case).
func revocationMethods(field string, names []string) ([]pki.RevocationMethod, error) {
	var out []pki.RevocationMethod
	seen := map[pki.RevocationMethod]bool{}
	for _, n := range names {
		m := pki.RevocationMethod(strings.ToUpper(strings.TrimSpace(n)))
		if m != pki.RevocationCRL && m != pki.RevocationOCSP {
			return nil, invalidField(field, "each must be OCSP or CRL")
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// --- decoding of fields ---

// decodeB64 reads standard Base64 (as NCANode, Java's Base64 decoder) with or
// without padding; white space (line breaks of MIME or PEM bodies) is ignored.
// URL-safe Base64 is accepted too.
func decodeB64(field, s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fail(http.StatusBadRequest, ErrBase64, field+": not valid Base64", nil)
}

// parseCertField reads one entry of certs: Base64 of DER, Base64 of PEM, or PEM
// text itself. A PEM may hold several certificates.
func parseCertField(field, s string) ([]*x509.Certificate, error) {
	var raw []byte
	if strings.Contains(s, "-----BEGIN") {
		raw = []byte(s)
	} else {
		b, err := decodeB64(field, s)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	if len(raw) == 0 {
		return nil, invalidField(field, "empty")
	}
	certs, err := edscmd.ParseCerts(raw)
	if err != nil {
		return nil, fail(http.StatusBadRequest, pki.ErrMalformedCert, field+": not an X.509 certificate", err)
	}
	return certs, nil
}

// decodeCMS reads a Base64 CMS (DER or BER), or a PEM one.
func decodeCMS(field, s string) ([]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalidField(field, "required")
	}
	var raw []byte
	if strings.Contains(s, "-----BEGIN") {
		raw = []byte(s)
	} else {
		b, err := decodeB64(field, s)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")) {
		p, _ := pem.Decode(raw)
		if p == nil {
			return nil, fail(http.StatusBadRequest, cms.ErrMalformed, field+": bad PEM", nil)
		}
		raw = p.Bytes
	}
	return raw, nil
}

// openFile decodes one key file of a request.
func openFile(field string, k KeyRequest) (*pkcs12.File, error) {
	if k.Key == "" {
		return nil, invalidField(field+".key", "required")
	}
	der, err := decodeB64(field+".key", k.Key)
	if err != nil {
		return nil, fail(http.StatusBadRequest, ErrBase64, msgKeyBase64, err)
	}
	return pkcs12.Decode(der, k.Password) // errors classified: bad password, malformed, unsupported
}

// openKey decodes one key of a request and selects its entry.
func openKey(field string, k KeyRequest) (*pkcs12.Entry, error) {
	f, err := openFile(field, k)
	if err != nil {
		return nil, err
	}
	if k.KeyAlias != "" {
		e, ok := f.Entry(k.KeyAlias)
		if !ok {
			return nil, fail(http.StatusBadRequest, ErrAliasNotFound, fmt.Sprintf(msgKeyAlias, safeAlias(k.KeyAlias)), nil)
		}
		if e.PrivateKey == nil || e.Certificate == nil {
			return nil, fail(http.StatusBadRequest, ErrNoKey, "", nil)
		}
		return e, nil
	}
	// NCANode takes the first alias when none is given.
	for i := range f.Entries {
		if e := &f.Entries[i]; e.PrivateKey != nil && e.Certificate != nil {
			return e, nil
		}
	}
	return nil, fail(http.StatusBadRequest, ErrNoKey, "", nil)
}

// pkcs12Aliases lists the aliases of each key file.
func (a *API) pkcs12Aliases(ctx context.Context, body []byte) (any, error) {
	var req Pkcs12InfoRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := a.count("keys", len(req.Keys)); err != nil {
		return nil, err
	}
	resp := Pkcs12AliasesResponse{Status: ok, Aliases: [][]string{}}
	for i, k := range req.Keys {
		f, err := openFile(fmt.Sprintf("keys[%d]", i), k)
		if err != nil {
			return nil, err
		}
		aliases := []string{}
		for _, e := range f.Entries {
			if e.Alias != "" {
				aliases = append(aliases, e.Alias)
			}
		}
		resp.Aliases = append(resp.Aliases, aliases)
	}
	return resp, nil
}

// x509Verify checks a raw signature over the UTF-8 bytes of data with the
// certificate's key, by the certificate's signature algorithm (as NCANode),
// and validates the certificate now. A certificate that does not parse gives
// 200 with valid false, NCANode's message and signers [null].
func (a *API) x509Verify(ctx context.Context, body []byte) (any, error) {
	var req X509VerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	if req.Certificate == "" {
		return nil, invalidField("certificate", "required")
	}
	if req.Signature == "" {
		return nil, invalidField("signature", "required")
	}
	sig, err := decodeB64("signature", req.Signature)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertField("certificate", req.Certificate)
	if err != nil || len(certs) != 1 {
		return VerificationResponse{Status: Status{Status: http.StatusOK, Message: fmt.Sprintf(msgCertInvalid, 0)},
			Signers: []*CertificateInfo{nil}}, nil
	}
	cert := certs[0]
	ci := a.certificateInfo(ctx, cert, nil, methods)
	sigErr := verifyRaw(cert, []byte(req.Data), sig)
	if sigErr != nil {
		ci.Valid = false
		ci.Errors = append([]string{codeOf(sigErr)}, ci.Errors...)
	}
	return VerificationResponse{Status: ok, Valid: ci.Valid, Signers: []*CertificateInfo{&ci}}, nil
}

// verifyRaw checks sig over data with cert's key and the certificate's own
// signature algorithm (NCANode: Signature.getInstance(cert.getSigAlgName())).
func verifyRaw(cert *x509.Certificate, data, sig []byte) error {
	pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return err
	}
	oid, err := asn1OID(pki.Info(cert).SignatureAlgorithmOID)
	if err != nil {
		return fmt.Errorf("%w: %v", eds.ErrUnknownAlgorithm, err)
	}
	return eds.VerifySignature(pub, oid, data, sig)
}

func asn1OID(s string) (asn1.ObjectIdentifier, error) {
	var o asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad OID %q", s)
		}
		o = append(o, n)
	}
	return o, nil
}

// safeAlias bounds an alias echoed in a message: at most 64 characters of [0-9A-Za-z_-].
func safeAlias(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 64 {
			break
		}
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
	}
	return b.String()
}

// --- /cms/sign, /cms/sign/add ---

func (a *API) signOptions(req *CmsSignRequest) (cms.SignOptions, error) {
	opts := cms.SignOptions{Detached: req.Detached, Now: a.cfg.Now}
	policy := tsp.OIDPolicyGOST2015
	if req.TsaPolicy != "" {
		p, ok := tsp.PolicyByName[req.TsaPolicy]
		if !ok {
			return opts, fail(http.StatusBadRequest, tsp.ErrUnsupported, "tsaPolicy: must be TSA_GOST_POLICY, TSA_GOSTGT_POLICY or TSA_GOST2015_POLICY", nil)
		}
		policy = p
	}
	if req.WithTsp {
		if a.cfg.TSA == nil {
			return opts, fail(http.StatusBadRequest, ErrTSANotConfigured, "", nil)
		}
		ts := a.cfg.TSA(policy)
		if ts == nil {
			return opts, fail(http.StatusBadRequest, tsp.ErrUnsupported, "tsaPolicy: this policy is not served here", nil)
		}
		opts.TSA = ts
	}
	return opts, nil
}

func (a *API) signers(req *CmsSignRequest) ([]cms.SignerSpec, error) {
	if err := a.count("signers", len(req.Signers)); err != nil {
		return nil, err
	}
	var specs []cms.SignerSpec
	for i, k := range req.Signers {
		e, err := openKey(fmt.Sprintf("signers[%d]", i), k)
		if err != nil {
			return nil, err
		}
		specs = append(specs, cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates})
	}
	return specs, nil
}

func (a *API) cmsSign(ctx context.Context, body []byte) (any, error) {
	var req CmsSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Data == "" {
		return nil, invalidField("data", "required")
	}
	data, err := decodeB64("data", req.Data)
	if err != nil {
		return nil, err
	}
	level, err := signLevel(&req)
	if err != nil {
		return nil, err
	}
	opts, err := a.signOptions(&req)
	if err != nil {
		return nil, err
	}
	specs, err := a.signers(&req)
	if err != nil {
		return nil, err
	}
	out, err := cms.Sign(ctx, data, specs, opts)
	if err != nil {
		return nil, err
	}
	if out, err = a.raiseLevel(ctx, out, data, req.Detached, level, req.TsaPolicy); err != nil {
		return nil, err
	}
	return CmsResponse{Status: ok, CMS: base64.StdEncoding.EncodeToString(out)}, nil
}

// signLevel reads /cms/sign's cadesLevel; B and withTsp contradict each other.
func signLevel(req *CmsSignRequest) (string, error) {
	level, err := cadesLevel(req.CadesLevel, false)
	if err != nil {
		return "", err
	}
	if level == "B" && req.WithTsp {
		return "", invalidField("cadesLevel", "B has no time-stamp, and withTsp asks for one")
	}
	return level, nil
}

func (a *API) cmsSignAdd(ctx context.Context, body []byte) (any, error) {
	var req CmsSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	existing, err := decodeCMS("cms", req.CMS)
	if err != nil {
		return nil, err
	}
	var data []byte
	if req.Data != "" {
		if data, err = decodeB64("data", req.Data); err != nil {
			return nil, err
		}
	}
	if req.CadesLevel != "" {
		// As NCANode: the level is chosen when signing, or raised by /cms/extend.
		return nil, invalidField("cadesLevel", "not accepted by /cms/sign/add; raise the level with /cms/extend")
	}
	opts, err := a.signOptions(&req)
	if err != nil {
		return nil, err
	}
	specs, err := a.signers(&req)
	if err != nil {
		return nil, err
	}
	sd, err := cms.Parse(existing)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers)+len(specs) > a.cfg.MaxSigners {
		return nil, invalidField("signers", fmt.Sprintf("a CMS may have at most %d signers", a.cfg.MaxSigners))
	}
	if !sd.HasContent && data == nil {
		return nil, fail(http.StatusBadRequest, cms.ErrDetachedContentMissing, "Data must be specifieed for detached CMS" /* NCANode's words, spelling included */, nil)
	}
	out := existing
	for _, s := range specs {
		if out, err = cms.AddSigner(ctx, out, data, s, opts); err != nil {
			return nil, err
		}
	}
	return CmsResponse{Status: ok, CMS: base64.StdEncoding.EncodeToString(out)}, nil
}

// --- /cms/verify, /cms/extract ---

// verifyCMS parses and verifies a CMS at Now (or at its time-stamps' genTime).
func (a *API) verifyCMS(ctx context.Context, raw, data []byte, methods []pki.RevocationMethod, at time.Time) (*cms.Result, error) {
	sd, err := cms.Parse(raw)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers) > a.cfg.MaxSigners {
		return nil, invalidField("cms", fmt.Sprintf("at most %d signers are verified", a.cfg.MaxSigners))
	}
	return cms.Verify(ctx, raw, data, cms.VerifyOptions{
		Validator:     a.cfg.Validator,
		Revocation:    methods,
		TSARevocation: a.cfg.TSARevocation,
		Now:           func() time.Time { return at },
	})
}

func (a *API) cmsVerify(ctx context.Context, body []byte) (any, error) {
	var req CmsVerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	raw, err := decodeCMS("cms", req.CMS)
	if err != nil {
		return nil, err
	}
	var data []byte
	if req.Data != "" {
		if data, err = decodeB64("data", req.Data); err != nil {
			return nil, err
		}
	}
	res, err := a.verifyCMS(ctx, raw, data, methods, a.cfg.Now())
	if err != nil {
		return nil, err
	}
	resp := CmsVerificationResponse{Status: ok, Valid: len(res.Signers) > 0, Signers: []CmsSignerInfo{}}
	for i := range res.Signers {
		si := renderSigner(&res.Signers[i], methods)
		resp.Valid = resp.Valid && si.Valid
		resp.Signers = append(resp.Signers, si)
	}
	return resp, nil
}

func renderSigner(s *cms.SignerResult, methods []pki.RevocationMethod) CmsSignerInfo {
	si := CmsSignerInfo{Certificates: []CertificateInfo{}, Valid: s.Valid && s.ChainChecked, Errors: s.Codes()}
	if !s.ChainChecked {
		si.Errors = append(si.Errors, pki.ErrUntrusted.Code())
	}
	if s.Cert != nil {
		var res *pki.Result
		if s.ChainChecked {
			res = s.Chain
		}
		ci := renderCert(s.Cert, res, methods)
		if res == nil {
			ci.Errors = []string{pki.ErrUntrusted.Code()}
		}
		si.Certificates = append(si.Certificates, ci)
	}
	if ts := s.TimeStamp; ts != nil {
		si.Tsp = &TspInfo{
			SerialNumber: javaSerialHex(ts.SerialNumber), GenTime: Time(ts.GenTime), Policy: ts.Policy,
			TspHashAlgorithm: ts.HashAlgorithm, Hash: hex.EncodeToString(ts.Hash), Valid: ts.Valid,
		}
		if ts.TSAName != nil {
			si.Tsp.TSA = bcGeneralNameDir(ts.TSAName)
		}
	}
	return si
}

func (a *API) cmsExtract(ctx context.Context, body []byte) (any, error) {
	var req CmsExtractRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	raw, err := decodeCMS("cms", req.CMS)
	if err != nil {
		return nil, err
	}
	data, err := cms.Extract(raw)
	if err != nil {
		return nil, err
	}
	return CmsDataResponse{Status: ok, Data: base64.StdEncoding.EncodeToString(data)}, nil
}
