package client

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"time"
)

// ArchivedDocument is a document in Senim's archive of electronic documents (rules
// DC-5, DC-6): its content kept as signed, its signatures extended to CAdES-LT, sealed
// under an evidence record once the archive's seal job has run.
type ArchivedDocument struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	ContentSHA256 string    `json:"content_sha256"` // hex
	Signatures    int       `json:"signatures"`     // signature files
	Sealed        bool      `json:"sealed"`
	CreatedAt     time.Time `json:"created_at"`
	// Report is the validation report, in ArchivedDocument's answer only.
	Report *ArchiveReport `json:"report,omitempty"`
}

// ArchiveReport is an archived document checked now: each signer at its signing time,
// and how long the evidence record proves the document existed unchanged.
type ArchiveReport struct {
	Valid         bool            `json:"valid"`
	CheckedAt     time.Time       `json:"checked_at"`
	Signers       []ArchiveSigner `json:"signers"`
	Sealed        bool            `json:"sealed"`
	EvidenceValid bool            `json:"evidence_valid"`
	ExistedAt     *time.Time      `json:"existed_at,omitempty"`
	HoldsUntil    *time.Time      `json:"holds_until,omitempty"`
	Errors        []string        `json:"errors"` // codes
}

// ArchiveSigner is one signer in an ArchiveReport.
type ArchiveSigner struct {
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"` // the legal entity signed for (with BIN)
	IIN          string `json:"iin,omitempty"`
	BIN          string `json:"bin,omitempty"`
	// SignedAt is the time the signature time-stamp proves; nil when nothing proves
	// when the signer signed (the server sends null).
	SignedAt *time.Time `json:"signed_at"`
	Valid    bool       `json:"valid"`
	Errors   []string   `json:"errors"`
}

// ArchivePage is one page of ArchivedDocuments, newest first.
type ArchivePage struct {
	Documents []ArchivedDocument `json:"documents"`
	Next      string             `json:"next,omitempty"` // empty on the last page
}

// Codes of the archive an organisation acts on (docs/errors.md has them all).
var (
	ErrArchiveSignatureInvalid = &Error{Code: "archive.signature.invalid"}
	ErrArchiveContentMismatch  = &Error{Code: "archive.signature.content_mismatch"}
	ErrArchiveMalformedCMS     = &Error{Code: "archive.signature.malformed"}
	ErrArchiveNotFound         = &Error{Code: "archive.document.not_found"}
	ErrArchiveCursorInvalid    = &Error{Code: "archive.cursor.invalid"}
	ErrArchiveNotLT            = &Error{Code: "archive.import.not_lt"}
	// ErrIdempotencyConflict: an Idempotency-Key reused with a request of another meaning.
	ErrIdempotencyConflict = &Error{Code: "idempotency.key_conflict"}
)

// Archive stores a signed document for the long term: content as signed (nil when
// every signature is attached) and its CMS signatures (DER), one per signature file.
// Each signer is validated at its signing time and the validation material is kept; a
// document with an invalid signature is refused (ErrArchiveSignatureInvalid) and
// nothing is stored. Your organisation and every signer become parties who may read
// it. idempotencyKey (may be "") makes a retry safe.
func (c *Client) Archive(ctx context.Context, name string, content []byte, signatures [][]byte, idempotencyKey string) (*ArchivedDocument, error) {
	var out ArchivedDocument
	in := map[string]any{"name": name, "signatures": signatures}
	if content != nil {
		in["content"] = content
	}
	if _, err := c.do(ctx, "POST", "/v1/archive/documents", in, &out, "Idempotency-Key", idempotencyKey); err != nil {
		return nil, err
	}
	return &out, nil
}

// ArchivedDocuments lists a page of the documents your organisation is a party of,
// newest first: at most limit (0: 50; at most 200), after the Next of the page before
// ("" for the first page).
func (c *Client) ArchivedDocuments(ctx context.Context, limit int, after string) (*ArchivePage, error) {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if after != "" {
		v.Set("after", after)
	}
	path := "/v1/archive/documents"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out ArchivePage
	if _, err := c.do(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ArchivedDocument returns a document your organisation is a party of, with its
// validation report made now (ErrArchiveNotFound for any other).
func (c *Client) ArchivedDocument(ctx context.Context, id string) (*ArchivedDocument, error) {
	var out ArchivedDocument
	if _, err := c.do(ctx, "GET", "/v1/archive/documents/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExportArchived downloads a document as a container that verifies with no server
// (`senim eds verify FILE`): ASiC-S, or ASiC-E when asicE is set (a document whose
// evidence covers several signature files has only the ASiC-E form: the ASiC-S answer
// is then archive.asic.not_simple).
func (c *Client) ExportArchived(ctx context.Context, id string, asicE bool) ([]byte, error) {
	form := "/asics"
	if asicE {
		form = "/asice"
	}
	_, b, err := c.send(ctx, "GET", "/v1/archive/documents/"+url.PathEscape(id)+form, "", nil, maxFile)
	return b, err
}

// ImportContainer stores the document of an ASiC-S or ASiC-E container (an export of
// Senim's or another archive's): it must verify now, its evidence record included, and
// your organisation becomes its owner. idempotencyKey (may be "") makes a retry safe: a
// repeat with the same key and the same container returns the first answer and stores
// nothing more; the same key with another container is refused (ErrIdempotencyConflict).
func (c *Client) ImportContainer(ctx context.Context, container []byte, idempotencyKey string) (*ArchivedDocument, error) {
	ctype := "application/vnd.etsi.asic-s+zip"
	if bytes.Contains(container[:min(len(container), 128)], []byte("application/vnd.etsi.asic-e+zip")) {
		ctype = "application/vnd.etsi.asic-e+zip"
	}
	var out ArchivedDocument
	if _, err := c.call(ctx, "POST", "/v1/archive/containers", ctype, container, &out, "Idempotency-Key", idempotencyKey); err != nil {
		return nil, err
	}
	return &out, nil
}
