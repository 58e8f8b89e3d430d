package archive

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
)

// The archive's API for organisations (authenticated by orgauth):
//
//	POST /v1/archive/documents              store a signed document (rule DC-6)
//	POST /v1/archive/containers             import an ASiC-S or ASiC-E container (the body)
//	GET  /v1/archive/documents              the documents the organisation is a party of
//	GET  /v1/archive/documents/{id}         one document: summary and validation report
//	GET  /v1/archive/documents/{id}/asics   its ASiC-S container (the default; verifies offline)
//	GET  /v1/archive/documents/{id}/asice   its ASiC-E container (verifies offline)
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		handle(pattern, server.ErrorHandler(f))
	}
	h("POST /v1/archive/documents", s.apiIngest)
	h("POST /v1/archive/containers", s.apiImport)
	h("GET /v1/archive/documents", s.apiList)
	h("GET /v1/archive/documents/{id}", s.apiGet)
	h("GET /v1/archive/documents/{id}/asics", s.apiExportS)
	h("GET /v1/archive/documents/{id}/asice", s.apiExport)
}

// Problems of the archive, by the sentinel errors they stand for; each enforces DC-6
// (named here, not only when rendered, so the catalogue says so from the start).
var problems = []struct {
	err error
	p   *problem.Problem
}{
	{ErrTooLarge, problem.New(http.StatusRequestEntityTooLarge, "archive.upload.too_large", "The document or upload is too large").WithRule("DC-6")},
	{ErrBadCMS, problem.New(http.StatusUnprocessableEntity, "archive.signature.malformed", "A signature is not a readable CMS").WithRule("DC-6")},
	{ErrContentMismatch, problem.New(http.StatusUnprocessableEntity, "archive.signature.content_mismatch", "A signature is over other content").WithRule("DC-6")},
	{ErrSignatureInvalid, problem.New(http.StatusUnprocessableEntity, "archive.signature.invalid", "A signature of the document is not valid at its signing time").WithRule("DC-6")},
	{ErrNotFound, problem.New(http.StatusNotFound, "archive.document.not_found", "No such document").WithRule("DC-6")},
	{ErrCursor, problem.New(http.StatusBadRequest, "archive.cursor.invalid", "The paging cursor is not one this list returned").WithRule("DC-6")},
	{ErrNotLT, problem.New(http.StatusUnprocessableEntity, "archive.import.not_lt", "A signature of the container is not CAdES-LT, and its evidence record forbids extending it").WithRule("DC-6")},
	{ErrContainer, problem.New(http.StatusUnprocessableEntity, "archive.asic.malformed", "The ASiC container is malformed").WithRule("DC-6")},
	{ErrContainerPath, problem.New(http.StatusUnprocessableEntity, "archive.asic.bad_path", "An entry name in the container is not allowed").WithRule("DC-6")},
	{ErrContainerBomb, problem.New(http.StatusRequestEntityTooLarge, "archive.asic.too_large", "The container expands beyond the limits").WithRule("DC-6")},
	{ErrNotSimple, problem.New(http.StatusConflict, "archive.asic.not_simple", "The document has no ASiC-S form; export it as ASiC-E").WithRule("DC-6")},
	{ErrGap, problem.New(http.StatusUnprocessableEntity, "archive.evidence.gap", "The evidence does not cover the time").WithRule("DC-6")},
	// An imported container's evidence record that does not hold is the caller's
	// input, not a server failure: without these it was a 500.
	{ErrMalformedRecord, problem.New(http.StatusUnprocessableEntity, "archive.evidence.malformed", "The evidence record is malformed").WithRule("DC-6")},
	{ErrNotCovered, problem.New(http.StatusUnprocessableEntity, "archive.evidence.not_covered", "The evidence record does not cover this data").WithRule("DC-6")},
	{ErrTimeStamp, problem.New(http.StatusUnprocessableEntity, "archive.evidence.timestamp_invalid", "An archive time-stamp of the evidence is invalid").WithRule("DC-6")},
	{ErrUnsupported, problem.New(http.StatusUnprocessableEntity, "archive.evidence.unsupported", "The evidence record's form or hash algorithm is not supported").WithRule("DC-6")},
	{ErrWeakHash, problem.New(http.StatusUnprocessableEntity, "archive.evidence.weak_hash", "The evidence record's hash algorithm was weak at the time it must prove").WithRule("DC-6")},
}

var (
	errIdemConflict   = problem.New(http.StatusUnprocessableEntity, "idempotency.key_conflict", "The Idempotency-Key was used with a different request")
	errIdemInProgress = problem.New(http.StatusConflict, "idempotency.in_progress", "A request with this Idempotency-Key is in progress; retry later")
	errIdemInvalid    = problem.New(http.StatusBadRequest, "idempotency.key_invalid", "The Idempotency-Key is empty or too long")
)

func idemProblem(err error) error {
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		return errIdemConflict
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return errIdemInProgress
	case errors.Is(err, store.ErrInvalidIdempotencyKey):
		return errIdemInvalid
	}
	return err
}

// Problem maps an archive error to its API problem (rule DC-6); other errors pass. The
// outermost archive error in err's tree decides, so a refusal that carries its cause
// (a container not valid because a signature is over other content) keeps the
// refusal's code. The detail is the archive's own words (ClientDetail) and the cause's
// stable code, when it has one, is the problem's "cause"; the whole text stays the
// problem's cause error, for the log.
func Problem(err error) error {
	if p, sentinel := outermost(err); p != nil {
		p = p.WithRule("DC-6").WithCause(err)
		detail, cause := ClientDetail(err, sentinel)
		if detail != "" {
			p = p.WithDetail(detail)
		}
		if cause != "" {
			p = p.With("cause", cause)
		}
		return p
	}
	return err
}

// outermost is the problem of the first archive error in err's tree, outermost first,
// and that error.
func outermost(err error) (*problem.Problem, error) {
	if err == nil {
		return nil, nil
	}
	for _, m := range problems {
		if err == m.err {
			return m.p, m.err
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return outermost(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if p, s := outermost(e); p != nil {
				return p, s
			}
		}
	}
	return nil, nil
}

// ClientDetail splits a refusal for an API client. detail is what the archive wrote
// around its sentinel — which signature, which entry, which size — without the
// sentinel's text (the problem's title says it) and without the text of the cause it
// carries: a parser's, zip's or another package's message is written for programmers,
// names internals and changes with their versions, and docs/api.md promises that a
// detail never carries it. cause is that cause's stable code, when it has one
// ("eds.signature.invalid"), so a client can still tell why.
func ClientDetail(err, sentinel error) (detail, cause string) {
	for e := err; e != nil; {
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if u.Unwrap() == sentinel {
				return tidy(strings.Replace(e.Error(), sentinel.Error(), "", 1)), ""
			}
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			kids := u.Unwrap()
			for _, k := range kids {
				if k != sentinel {
					continue
				}
				msg := strings.Replace(e.Error(), sentinel.Error(), "", 1)
				for _, c := range kids {
					if c == sentinel || c == nil {
						continue
					}
					msg = strings.Replace(msg, c.Error(), "", 1)
					if cause == "" {
						cause = eds.Code(c)
					}
				}
				return tidy(msg), cause
			}
			e = nil
			for _, k := range kids { // the sentinel is deeper: follow the branch that holds it
				if errors.Is(k, sentinel) {
					e = k
					break
				}
			}
		default:
			return "", ""
		}
	}
	return "", ""
}

// tidy drops the separators left where texts were cut out of a message.
func tidy(msg string) string {
	for strings.Contains(msg, ": : ") {
		msg = strings.ReplaceAll(msg, ": : ", ": ")
	}
	return strings.Trim(msg, ": ")
}

type ingestRequest struct {
	Name       string   `json:"name"`
	Content    []byte   `json:"content"`    // base64; may be omitted when every signature is attached
	Signatures [][]byte `json:"signatures"` // base64 CMS, one per signature file
}

// documentJSON is a document in API answers.
type documentJSON struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	Size          int64       `json:"size"`
	ContentSHA256 string      `json:"content_sha256"`
	Signatures    int         `json:"signatures"`
	Sealed        bool        `json:"sealed"`
	CreatedAt     time.Time   `json:"created_at"`
	Report        *ReportView `json:"report,omitempty"`
}

func toJSON(s Summary) documentJSON {
	return documentJSON{ID: s.ID, Name: s.Name, Size: s.Size, ContentSHA256: s.ContentSHA256, Signatures: s.Signatures, Sealed: s.Sealed, CreatedAt: s.CreatedAt}
}

// MaxRequestBody bounds a request that carries a document of at most maxDocument bytes
// with its signature files, an attached one carrying the document again: an ingest's
// JSON (base64 makes it a third larger than the bytes), a cabinet upload, a container.
// It is the largest body of the organisations' API, which orgauth reads whole to check
// its signature before any route sees it.
func MaxRequestBody(maxDocument int) int64 { return 2*int64(maxDocument) + 1<<20 }

func (s *Service) apiIngest(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	var req ingestRequest
	if err := problem.DecodeJSON(w, r, MaxRequestBody(s.cfg.MaxDocument), &req); err != nil {
		return err
	}
	if len(req.Signatures) == 0 {
		return problem.Field("signatures", "at least one CMS signature is required")
	}
	var idem *Idempotency
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		h := sha256.New()
		json.NewEncoder(h).Encode(req)
		idem = &Idempotency{Key: store.IdempotencyKey{Scope: actor.Org(c.BIN).String() + " POST /v1/archive/documents", Key: k, RequestHash: h.Sum(nil)},
			Status: http.StatusCreated, Encode: func(sm *Summary) ([]byte, error) { return json.Marshal(toJSON(*sm)) }}
	}
	sum, replay, err := s.ingest(r.Context(), actor.Org(c.BIN).String(), req.Name, req.Content, req.Signatures, idem, nil, nil)
	if err != nil {
		return Problem(idemProblem(err))
	}
	if replay != nil {
		return problem.WriteReplay(w, replay.Status, replay.ContentType, replay.Body, "")
	}
	problem.WriteJSON(w, http.StatusCreated, toJSON(*sum))
	return nil
}

func (s *Service) apiImport(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != MimeTypeASiCS && ct != MimeTypeASiCE && ct != "application/zip" {
		return problem.UnsupportedMedia.WithDetail("the body must be " + MimeTypeASiCS + " or " + MimeTypeASiCE)
	}
	limit := int64(s.cfg.MaxDocument) * 2
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return Problem(fmt.Errorf("%w: a container over %d bytes", ErrTooLarge, limit))
	}
	var idem *Idempotency
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		// The request hash is the container's meaning (ImportHash), set once it is read.
		idem = &Idempotency{Key: store.IdempotencyKey{Scope: actor.Org(c.BIN).String() + " POST /v1/archive/containers", Key: k},
			Status: http.StatusCreated, Encode: func(sm *Summary) ([]byte, error) { return json.Marshal(toJSON(*sm)) }}
	}
	sum, replay, err := s.importOnce(r.Context(), actor.Org(c.BIN).String(), body, idem)
	if err != nil {
		return Problem(idemProblem(err))
	}
	if replay != nil {
		return problem.WriteReplay(w, replay.Status, replay.ContentType, replay.Body, "")
	}
	problem.WriteJSON(w, http.StatusCreated, toJSON(*sum))
	return nil
}

func (s *Service) apiList(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k := range q {
		if k != "limit" && k != "after" {
			return problem.Field(k, "unknown query parameter")
		}
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPageSize {
			return problem.Field("limit", fmt.Sprintf("an integer from 1 to %d", MaxPageSize))
		}
	}
	page, err := s.List(r.Context(), actor.Org(c.BIN).String(), q.Get("after"), limit)
	if err != nil {
		return Problem(err)
	}
	out := make([]documentJSON, 0, len(page.Documents))
	for _, sm := range page.Documents {
		out = append(out, toJSON(sm))
	}
	body := map[string]any{"documents": out}
	if page.Next != "" {
		body["next"] = page.Next
	}
	problem.WriteJSON(w, http.StatusOK, body)
	return nil
}

func (s *Service) apiGet(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	d, sm, err := s.Open(r.Context(), actor.Org(c.BIN).String(), r.PathValue("id"), false)
	if err != nil {
		return Problem(err)
	}
	rep, err := s.Check(r.Context(), d)
	if err != nil {
		return Problem(err)
	}
	out := toJSON(*sm)
	v := rep.View()
	out.Report = &v
	problem.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) apiExport(w http.ResponseWriter, r *http.Request) error {
	return s.export(w, r, MimeTypeASiCE)
}

func (s *Service) apiExportS(w http.ResponseWriter, r *http.Request) error {
	return s.export(w, r, MimeTypeASiCS)
}

func (s *Service) export(w http.ResponseWriter, r *http.Request, mimeType string) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	b, _, err := s.Export(r.Context(), actor.Org(c.BIN).String(), r.PathValue("id"), mimeType)
	if err != nil {
		return Problem(err)
	}
	ServeContainer(w, r.PathValue("id"), mimeType, b)
	return nil
}

// ServeContainer sends a container (mimeType MimeTypeASiCS or MimeTypeASiCE) as a
// download named senim-document-<id>.asics or .asice.
func ServeContainer(w http.ResponseWriter, id, mimeType string, b []byte) {
	ext := ".asice"
	if mimeType == MimeTypeASiCS {
		ext = ".asics"
	}
	w.Header().Set("Content-Type", mimeType)
	w.Header().Set("Content-Disposition", `attachment; filename="senim-document-`+id+ext+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
