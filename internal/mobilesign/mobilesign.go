// Package mobilesign lets a citizen sign with eGov Mobile by scanning a QR code, the
// way Kazakh sites take a signature from a phone.
//
// A page asks for a signature of a document (Start): the service keeps the document
// and returns a single-use link, shown as a QR code holding "mobileSign:<link>" (or as
// a deep link on a phone), and a watch token for the page. The phone then
//
//   - API-1: GETs the link once and learns what it is asked to sign, by whom, until
//     when, and where the document is (its URI with an auth type and a token);
//   - API-2: GETs the document URI with that token: the sign method (CMS_WITH_DATA,
//     CMS_SIGN_ONLY or XML) and the documents to sign, in base64 (documentXml, the
//     XML itself, for XML);
//   - PUTs the same structure back with the signature in place of each document.
//
// The PUT is accepted only when the CMS (or the XML signature, internal/eds/xmlsigned) verifies (signature, digest, chain,
// revocation), covers exactly the document, and — when the page named one — is made
// by the expected person; anything else is refused with a stable code and changes
// nothing. The page learns the result by watching (Watch) and takes the signature
// once (Take), then hands it to the endpoint that checks it for its purpose (the EDS
// login, the consent) exactly like a signature made with NCALayer.
package mobilesign

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/senimkz/senim/internal/secret"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/eds/xmlsigned"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Sign methods of API-2.
const (
	CMSWithData = "CMS_WITH_DATA" // attached CMS: the signature carries the document
	CMSSignOnly = "CMS_SIGN_ONLY" // detached CMS
	// XML: the document is XML in canonical form (documentXml) and comes back with one
	// enveloped XML-DSig signature over the whole of it.
	XML = "XML"
)

// States of a request.
const (
	StateOffered = "offered" // the link was made, the phone has not read it
	StateOpened  = "opened"  // the phone read the link (API-1): it cannot be read again
	StateSigned  = "signed"  // an accepted signature waits for the page
	StateTaken   = "taken"   // the page took the signature
	StateGone    = "gone"    // expired or unknown (never stored)
)

// DefaultLifetime is how long a link lives.
const DefaultLifetime = 180 * time.Second

// Problems with stable codes.
var (
	ErrLinkGone    = problem.New(http.StatusGone, "mobilesign.link_gone", "This signing link has expired or does not exist; ask for a new QR code")
	ErrLinkUsed    = problem.New(http.StatusGone, "mobilesign.link_used", "This signing link was already used; ask for a new QR code")
	ErrAuth        = problem.New(http.StatusUnauthorized, "mobilesign.auth", "The document token is missing or wrong").WithHeader("WWW-Authenticate", "Bearer")
	ErrMalformed   = problem.New(http.StatusBadRequest, "mobilesign.malformed", "The signed result is not what API-2 described")
	ErrTampered    = problem.New(http.StatusUnprocessableEntity, "mobilesign.tampered", "The signature is not over the document that was offered")
	ErrInvalid     = problem.New(http.StatusUnprocessableEntity, "mobilesign.invalid", "The signature, its certificate chain or its revocation check failed")
	ErrWrongSigner = problem.New(http.StatusForbidden, "mobilesign.wrong_signer", "The signer is not the person this signature was asked of")
	ErrDone        = problem.New(http.StatusConflict, "mobilesign.already_signed", "This document was already signed")
	ErrBadRequest  = problem.New(http.StatusBadRequest, "mobilesign.bad_request", "The signing request is incomplete")
)

// Organisation is who asks for the signature, as API-1 names it.
type Organisation struct {
	NameKk, NameRu, NameEn, BIN string
}

// Config configures the service.
type Config struct {
	DB         *store.DB
	Validator  *pki.Validator
	Revocation []pki.RevocationMethod
	Now        func() time.Time
	Lifetime   time.Duration // of a link; DefaultLifetime
	Org        Organisation
	// Prefix is the path the phone's API is served under; default "/mobile-sign".
	Prefix string
}

// Service issues, serves and accepts eGov Mobile signing requests.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Validator == nil {
		return nil, errors.New("mobilesign: DB and Validator are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/mobile-sign"
	}
	return &Service{cfg: cfg}, nil
}

// Request is what a page asks to have signed.
type Request struct {
	Document []byte
	Method   string // CMSWithData, CMSSignOnly or XML
	// Description says in each language what the citizen signs (kk, ru, en).
	Description map[string]string
	// ExpectIIN, when set, is the only signer accepted.
	ExpectIIN string
}

// Started is a new request: Link goes into the QR code (as "mobileSign:"+Link) and
// Watch stays with the page.
type Started struct {
	Link      string
	Watch     string
	ExpiresAt time.Time
}

// Start keeps a new request; base is the scheme and host the phone reaches Senim at
// (e.g. "https://senim.kz").
func (s *Service) Start(ctx context.Context, base string, req Request) (*Started, error) {
	if len(req.Document) == 0 || (req.Method != CMSWithData && req.Method != CMSSignOnly && req.Method != XML) {
		return nil, ErrBadRequest
	}
	// Expired requests go as new ones come: the table holds minutes of requests.
	if err := s.Prune(ctx); err != nil {
		return nil, err
	}
	desc, err := json.Marshal(req.Description)
	if err != nil {
		return nil, err
	}
	link, watch := secret.Token(), secret.Token()
	now := s.cfg.Now()
	st := &Started{Link: strings.TrimSuffix(base, "/") + s.cfg.Prefix + "/" + link, Watch: watch, ExpiresAt: now.Add(s.cfg.Lifetime)}
	_, err = s.cfg.DB.ExecContext(ctx, `INSERT INTO mobile_signs (id, watch, auth, state, method, description, document, expect_iin, refusal, expires_at, created_at)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, '', ?, ?)`,
		secret.Hash(link), secret.Hash(watch), StateOffered, req.Method, string(desc), req.Document, req.ExpectIIN,
		store.Micros(st.ExpiresAt), store.Micros(now))
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Status is what a page learns about its request.
type Status struct {
	State     string    `json:"state"`
	Refusal   string    `json:"refusal,omitempty"` // code of the last refused PUT
	ExpiresAt time.Time `json:"expires_at"`
}

// Watch returns the status of the request the page's token watches; an expired
// request that was not signed is gone.
func (s *Service) Watch(ctx context.Context, watch string) (Status, error) {
	var st Status
	var exp int64
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT state, refusal, expires_at FROM mobile_signs WHERE watch = ?`, secret.Hash(watch)).Scan(&st.State, &st.Refusal, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Status{State: StateGone}, nil
	}
	if err != nil {
		return st, err
	}
	st.ExpiresAt = time.UnixMicro(exp)
	if st.State != StateSigned && st.State != StateTaken && !st.ExpiresAt.After(s.cfg.Now()) {
		st.State = StateGone
	}
	return st, nil
}

// Take hands the accepted signature (a CMS in DER, or the signed XML) to the page, once.
func (s *Service) Take(ctx context.Context, watch string) ([]byte, error) {
	var der []byte
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT cms FROM mobile_signs WHERE watch = ? AND state = ?`, secret.Hash(watch), StateSigned).Scan(&der)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrLinkGone
	}
	if err != nil {
		return nil, err
	}
	r, err := s.cfg.DB.ExecContext(ctx, `UPDATE mobile_signs SET state = ? WHERE watch = ? AND state = ?`, StateTaken, secret.Hash(watch), StateSigned)
	if err != nil {
		return nil, err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return nil, ErrLinkGone
	}
	return der, nil
}

// Prune deletes expired requests; a signature nobody took within a day goes too.
func (s *Service) Prune(ctx context.Context) error {
	now := s.cfg.Now()
	_, err := s.cfg.DB.ExecContext(ctx, `DELETE FROM mobile_signs WHERE (expires_at < ? AND state IN (?, ?)) OR expires_at < ?`,
		store.Micros(now), StateOffered, StateOpened, store.Micros(now.Add(-24*time.Hour)))
	return err
}

// API-1's answer.
type linkInfo struct {
	Description  string       `json:"description"`
	ExpiryDate   time.Time    `json:"expiry_date"`
	Organisation organisation `json:"organisation"`
	Document     documentRef  `json:"document"`
}

type organisation struct {
	NameRu string `json:"nameRu"`
	NameKz string `json:"nameKz"`
	NameEn string `json:"nameEn"`
	BIN    string `json:"bin"`
}

type documentRef struct {
	URI       string `json:"uri"`
	AuthType  string `json:"auth_type"`
	AuthToken string `json:"auth_token"`
}

// Documents is API-2's answer and the PUT's body.
type Documents struct {
	SignMethod      string     `json:"signMethod"`
	DocumentsToSign []Document `json:"documentsToSign"`
}

// Document is one document to sign, or signed.
type Document struct {
	ID       int          `json:"id"`
	NameRu   string       `json:"nameRu"`
	NameKz   string       `json:"nameKz"`
	NameEn   string       `json:"nameEn"`
	Meta     []Meta       `json:"meta,omitempty"`
	Document DocumentFile `json:"document,omitzero"`
	// DocumentXML is the document of signMethod XML: the XML itself, signed in place.
	DocumentXML string `json:"documentXml,omitempty"`
}

// Meta is a name and value shown with a document.
type Meta struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DocumentFile holds a document's bytes in base64.
type DocumentFile struct {
	File File `json:"file"`
}

// File is a MIME type and base64 data.
type File struct {
	Mime string `json:"mime"`
	Data string `json:"data"`
}

type row struct {
	state, auth, method, desc, expectIIN string
	document                             []byte
	expires                              time.Time
}

func (s *Service) load(ctx context.Context, link string) (*row, error) {
	var r row
	var exp int64
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT state, auth, method, description, document, expect_iin, expires_at FROM mobile_signs WHERE id = ?`,
		secret.Hash(link)).Scan(&r.state, &r.auth, &r.method, &r.desc, &r.document, &r.expectIIN, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrLinkGone
	}
	if err != nil {
		return nil, err
	}
	r.expires = time.UnixMicro(exp)
	return &r, nil
}

// Open is API-1: it reads the link once, giving the phone the token of API-2.
func (s *Service) Open(ctx context.Context, link, base, lang string) (any, error) {
	r, err := s.load(ctx, link)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if !r.expires.After(now) {
		return nil, ErrLinkGone
	}
	if r.state != StateOffered {
		return nil, ErrLinkUsed
	}
	auth := secret.Token()
	res, err := s.cfg.DB.ExecContext(ctx, `UPDATE mobile_signs SET state = ?, auth = ? WHERE id = ? AND state = ? AND expires_at > ?`,
		StateOpened, secret.Hash(auth), secret.Hash(link), StateOffered, store.Micros(now))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrLinkUsed
	}
	var desc map[string]string
	json.Unmarshal([]byte(r.desc), &desc)
	d := desc[lang]
	if d == "" {
		d = desc["ru"]
	}
	return linkInfo{
		Description: d,
		ExpiryDate:  r.expires.UTC(),
		Organisation: organisation{NameRu: s.cfg.Org.NameRu, NameKz: s.cfg.Org.NameKk, NameEn: s.cfg.Org.NameEn,
			BIN: s.cfg.Org.BIN},
		Document: documentRef{URI: strings.TrimSuffix(base, "/") + s.cfg.Prefix + "/" + link + "/document", AuthType: "Token", AuthToken: auth},
	}, nil
}

// opened loads a request that API-1 opened, checking API-2's token.
func (s *Service) opened(ctx context.Context, link, bearer string) (*row, error) {
	r, err := s.load(ctx, link)
	if err != nil {
		return nil, err
	}
	if r.auth == "" || bearer == "" || secret.Hash(bearer) != r.auth {
		return nil, ErrAuth
	}
	switch {
	case r.state == StateSigned || r.state == StateTaken:
		return nil, ErrDone
	case !r.expires.After(s.cfg.Now()):
		return nil, ErrLinkGone
	}
	return r, nil
}

// Document is API-2: what to sign and how.
func (s *Service) Document(ctx context.Context, link, bearer string) (*Documents, error) {
	r, err := s.opened(ctx, link, bearer)
	if err != nil {
		return nil, err
	}
	var desc map[string]string
	json.Unmarshal([]byte(r.desc), &desc)
	d := Document{ID: 1, NameRu: desc["ru"], NameKz: desc["kk"], NameEn: desc["en"]}
	if r.method == XML {
		d.DocumentXML = string(r.document)
	} else {
		d.Document = DocumentFile{File: File{Mime: "text/plain", Data: base64.StdEncoding.EncodeToString(r.document)}}
	}
	return &Documents{SignMethod: r.method, DocumentsToSign: []Document{d}}, nil
}

// Accept is the PUT: it checks the signed result and keeps it for the page. A refusal
// is remembered (its code only) so the page can say why; nothing else changes.
func (s *Service) Accept(ctx context.Context, link, bearer string, body []byte) error {
	r, err := s.opened(ctx, link, bearer)
	if err != nil {
		return err
	}
	der, err := s.check(ctx, r, body)
	if err != nil {
		code := problem.From(err).Code
		s.cfg.DB.ExecContext(ctx, `UPDATE mobile_signs SET refusal = ? WHERE id = ? AND state = ?`, code, secret.Hash(link), StateOpened)
		return err
	}
	res, err := s.cfg.DB.ExecContext(ctx, `UPDATE mobile_signs SET state = ?, cms = ?, refusal = '' WHERE id = ? AND state = ?`,
		StateSigned, der, secret.Hash(link), StateOpened)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrDone
	}
	return nil
}

func (s *Service) check(ctx context.Context, r *row, body []byte) ([]byte, error) {
	var d Documents
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&d); err != nil {
		return nil, ErrMalformed.WithCause(err)
	}
	if d.SignMethod != r.method || len(d.DocumentsToSign) != 1 || d.DocumentsToSign[0].ID != 1 {
		return nil, ErrMalformed.WithDetail("one document, id 1, signed with the method API-2 gave")
	}
	if r.method == XML {
		return s.checkXML(ctx, r, []byte(d.DocumentsToSign[0].DocumentXML))
	}
	der, err := base64.StdEncoding.DecodeString(d.DocumentsToSign[0].Document.File.Data)
	if err != nil || len(der) == 0 {
		return nil, ErrMalformed.WithDetail("the signature is not base64")
	}
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, ErrMalformed.WithCause(err)
	}
	var detached []byte
	switch {
	case r.method == CMSSignOnly && !sd.HasContent:
		detached = r.document
	case r.method == CMSWithData && sd.HasContent:
	default:
		return nil, ErrMalformed.WithDetail("the CMS is not of the sign method asked for")
	}
	res, err := cms.Verify(ctx, der, detached, cms.VerifyOptions{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.cfg.Now})
	if err != nil {
		return nil, ErrMalformed.WithCause(err)
	}
	if len(res.Signers) != 1 {
		return nil, ErrInvalid.WithDetail("exactly one signer is expected")
	}
	sg := res.Signers[0]
	// Tampering first: a signature over another document is that, whatever else
	// is wrong with it.
	if !bytes.Equal(res.Content, r.document) || !sg.DigestValid {
		return nil, ErrTampered
	}
	if !res.Valid || !sg.Valid {
		return nil, ErrInvalid.WithDetail(strings.Join(sg.Codes(), ", "))
	}
	if r.expectIIN != "" && (sg.CertInfo == nil || sg.CertInfo.Subject.IIN != r.expectIIN) {
		return nil, ErrWrongSigner
	}
	return der, nil
}

// checkXML checks a signed XML document: exactly the offered one, one valid enveloped
// signature, a valid signing certificate, and the expected signer.
func (s *Service) checkXML(ctx context.Context, r *row, signed []byte) ([]byte, error) {
	if len(signed) == 0 {
		return nil, ErrMalformed.WithDetail("documentXml is empty")
	}
	sg, err := xmlsigned.Check(ctx, signed, r.document, xmlsigned.Options{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.cfg.Now})
	switch {
	case err == nil:
	case errors.Is(err, xmldsig.ErrDigest), errors.Is(err, xmlsigned.ErrNotTheDocument), errors.Is(err, xmldsig.ErrDuplicateID),
		errors.Is(err, xmldsig.ErrReference):
		return nil, ErrTampered.WithCause(err)
	case errors.Is(err, xmldsig.ErrMalformed), errors.Is(err, xmldsig.ErrDTD), errors.Is(err, xmldsig.ErrTooDeep),
		errors.Is(err, xmldsig.ErrTooLarge), errors.Is(err, xmldsig.ErrNoSignature), errors.Is(err, xmldsig.ErrStructure):
		return nil, ErrMalformed.WithCause(err)
	default:
		return nil, ErrInvalid.WithDetail(eds.Code(err))
	}
	if r.expectIIN != "" && sg.Info.Subject.IIN != r.expectIIN {
		return nil, ErrWrongSigner
	}
	return signed, nil
}
