package edscmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
)

// ContainerReport is what `eds verify FILE.asics` (or .asice) says: the document, each signature
// file with its signers, and the evidence record.
type ContainerReport struct {
	Valid      bool           `json:"valid"`
	Document   string         `json:"document"`
	At         time.Time      `json:"validation_time"`
	Signatures []VerifyReport `json:"signatures"`
	Evidence   *RecordReport  `json:"evidence_record,omitempty"`
	Errors     []string       `json:"errors"`
}

// RecordReport is the check of an RFC 4998 evidence record.
type RecordReport struct {
	Valid      bool                 `json:"valid"`
	Time       *time.Time           `json:"existed_at,omitempty"`
	Until      *time.Time           `json:"holds_until,omitempty"`
	TimeStamps []ArchiveStampReport `json:"archive_timestamps"`
	Error      string               `json:"error,omitempty"`
}

// ArchiveStampReport is one archive time-stamp of the evidence record.
type ArchiveStampReport struct {
	GenTime  time.Time `json:"genTime"`
	TSA      string    `json:"tsa"`
	NotAfter time.Time `json:"tsa_not_after"`
	HashAlg  string    `json:"hash_algorithm"`
	Error    string    `json:"error,omitempty"`
}

// verifyContainer verifies an ASiC-S or ASiC-E container offline: everything comes from the
// container and the trust flags (--ca, --ca-anchor, --crl); --at is the time of the
// verification ("now", decades after the signing).
func verifyContainer(ctx context.Context, name string, in []byte, c common, stdout, stderr io.Writer) int {
	if len(c.cas) == 0 && len(c.anchors) == 0 {
		return usage(stderr, errors.New("an ASiC container is verified against --ca or --ca-anchor"))
	}
	_, at, _, err := c.validator(Now)
	if err != nil {
		return usage(stderr, err)
	}
	cfg, err := TrustConfig(c.cas, c.anchors, c.crls, Now)
	if err != nil {
		return usage(stderr, err)
	}
	doc, err := archive.ReadASiC(in, archive.Limits{})
	if errors.Is(err, archive.ErrSignatureInvalid) {
		// A container that reads but whose signed document changed inside it: a
		// verification that fails (exit 1), not an input that cannot be used (exit 2).
		writeJSON(stdout, ContainerReport{Valid: false, At: at, Signatures: []VerifyReport{}, Errors: []string{eds.Code(err)}})
		fmt.Fprintf(stderr, "senim eds: %s: %v\n", name, err)
		return 1
	}
	if err != nil {
		return failJSON(stdout, stderr, name, err)
	}
	rep, err := archive.VerifyDocument(ctx, doc, archive.Trust{Roots: cfg.Roots, Intermediates: cfg.Intermediates, CRLs: cfg.CRLs},
		at, archive.DefaultPolicy())
	if err != nil {
		return failJSON(stdout, stderr, name, err)
	}
	out := ContainerReport{Valid: rep.Valid, Document: doc.Name, At: at, Errors: []string{}}
	for _, s := range rep.Signatures {
		vr := VerifyReport{Signers: []SignerReport{}}
		if s.Result != nil {
			vr = VerifyReport{Valid: s.Result.Valid, Detached: s.Result.Detached, Signers: Signers(s.Result)}
		}
		out.Signatures = append(out.Signatures, vr)
	}
	// Every reason the container is not valid, once each: the evidence record's, a
	// signature file's, each signer's. Before, only an unreadable signature file was
	// named here, and a container refused for a gap in its evidence or a revoked signer
	// said "valid": false beside "errors": [].
	for _, e := range rep.Errs() {
		if c := code(e); !slices.Contains(out.Errors, c) {
			out.Errors = append(out.Errors, c)
		}
	}
	if e := rep.Evidence; e != nil {
		er := &RecordReport{Valid: e.Valid, Error: code(e.Err), TimeStamps: []ArchiveStampReport{}}
		if !e.Time.IsZero() {
			er.Time, er.Until = timePtr(e.Time), timePtr(e.Until)
		}
		for _, ts := range e.TimeStamps {
			er.TimeStamps = append(er.TimeStamps, ArchiveStampReport{GenTime: ts.GenTime, TSA: ts.TSA, NotAfter: ts.NotAfter,
				HashAlg: ts.Algorithm, Error: code(ts.Err)})
		}
		out.Evidence = er
	}
	writeJSON(stdout, out)
	if !out.Valid {
		return 1
	}
	return 0
}
