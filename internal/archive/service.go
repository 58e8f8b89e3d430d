package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/secret"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Parties turns a signer's IIN into the opaque reference a citizen is known by
// ("citizen:<id>"), within the ingest's transaction: a signer Senim has not seen gets a
// record only if the document is stored; *identity.Service implements it.
type Parties interface {
	SubjectRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error)
}

// Config configures a Service.
type Config struct {
	DB *store.DB
	// Blobs keeps the bytes. Default DBBlobs on DB.
	Blobs BlobStore
	// Validation validates and embeds at ingest (its TSA gives missing signature
	// time-stamps).
	Validation Validation
	// TSA gives the archive time-stamps (seal and renewal); default Validation.TSA.
	// TSAChain is put into the tokens (the TSA certificate and its CA chain).
	TSA      cms.TimeStamper
	TSAChain []*x509.Certificate
	// Parties resolves signers who are citizens; nil: only organisations (by BIN) and
	// the owner are parties.
	Parties Parties
	Policy  Policy
	// Trust is what Check verifies archived documents against (offline).
	Trust Trust
	// MaxDocument bounds the content, MaxSignatures the signature files of a document.
	// Defaults 20 MiB and 16.
	MaxDocument   int
	MaxSignatures int
	Now           func() time.Time
}

// The defaults of Config.MaxDocument and Config.MaxSignatures.
const (
	DefaultMaxDocument   = 20 << 20
	DefaultMaxSignatures = 16
)

// Service is the archive: ingest, list, read, export, seal and renew.
type Service struct {
	cfg Config
}

// New checks cfg and returns a Service. Sealing and renewal need only the database and
// a TSA; ingest needs Validation.Validator too.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("archive: a database is required")
	}
	if cfg.TSA == nil {
		cfg.TSA = cfg.Validation.TSA
	}
	if cfg.TSA == nil {
		return nil, errors.New("archive: a time-stamping authority is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Blobs == nil {
		cfg.Blobs = DBBlobs{DB: cfg.DB, Now: cfg.Now}
	}
	if cfg.Validation.Now == nil {
		cfg.Validation.Now = cfg.Now
	}
	if cfg.MaxDocument <= 0 {
		cfg.MaxDocument = DefaultMaxDocument
	}
	if cfg.MaxSignatures <= 0 {
		cfg.MaxSignatures = DefaultMaxSignatures
	}
	cfg.Policy = cfg.Policy.withDefaults()
	return &Service{cfg: cfg}, nil
}

// Summary describes an archived document without its bytes.
type Summary struct {
	ID            string
	Name          string
	Size          int64
	ContentSHA256 string
	Signatures    int
	Sealed        bool
	CreatedAt     time.Time
}

// Ingest validates the signatures of a document (CMS, attached or detached over
// content; content may be nil when every signature is attached), extends them to
// CAdES-LT and stores the document for owner ("citizen:<id>" or "org:<BIN>"), with the
// owner and every signer as its parties, and an archive.document.ingested event, in one
// transaction. Errors wrap ErrTooLarge, ErrBadCMS, ErrContentMismatch or
// ErrSignatureInvalid; nothing is stored then.
func (s *Service) Ingest(ctx context.Context, owner, name string, content []byte, sigs [][]byte) (*Summary, error) {
	sum, _, err := s.ingest(ctx, owner, name, content, sigs, nil, nil, nil)
	return sum, err
}

// IngestThen is Ingest that also runs then in the transaction that stores the
// document: when then fails, nothing is stored. A caller that records the document's id
// elsewhere (confirm, for an EDS-signed agreement) does it there, so the document is
// stored and referenced exactly once however often it is retried.
func (s *Service) IngestThen(ctx context.Context, owner, name string, content []byte, sigs [][]byte,
	then func(ctx context.Context, tx *store.Tx, sum *Summary) error) (*Summary, error) {
	sum, _, err := s.ingest(ctx, owner, name, content, sigs, nil, nil, then)
	return sum, err
}

// Import stores the document of an ASiC-E or ASiC-S container (ReadASiC: the limits and
// codes of ReadASiCE and ReadASiCS). The
// container must verify offline now (VerifyDocument with the service's trust, its own
// evidence record included). A container with an evidence record has its signature
// files stored byte for byte (the record covers them), so they must be CAdES-LT already
// (checkLT; ErrNotLT otherwise); one without is then ingested
// like an upload (MakeLT: a signature time-stamp where a signer has none, the
// validation material embedded). The container's
// evidence record is kept with the document (its chains, as earlier chains): the
// archive's next seal continues it by a hash-tree renewal (RFC 4998, section 5.2), so a
// container whose signature time-stamps have already expired, but are covered by its
// evidence, is accepted and stays verifiable. The seal must come before the kept
// record's last TSA certificate expires; a container without an evidence record whose
// signature time-stamps expired is refused (archive.evidence.gap).
func (s *Service) Import(ctx context.Context, owner string, container []byte) (*Summary, error) {
	sum, _, err := s.importOnce(ctx, owner, container, nil)
	return sum, err
}

// importOnce is Import with an API request's Idempotency-Key (nil: none): a repeat
// returns the stored answer before any work and stores nothing more.
//
// The key's request hash is the container's meaning, not its ZIP bytes (ImportHash):
// the same document, signature files and evidence record under another ZIP — an
// export made again (its entries' times differ), the ASiC-S instead of the ASiC-E —
// is the same request and gets the first answer; anything else is a conflict.
func (s *Service) importOnce(ctx context.Context, owner string, container []byte, idem *Idempotency) (*Summary, *store.StoredResponse, error) {
	d, err := ReadASiC(container, Limits{MaxContainer: int64(s.cfg.MaxDocument) * 2})
	if err != nil {
		return nil, nil, err
	}
	if idem != nil {
		idem.Key.RequestHash = ImportHash(d)
		r, err := s.cfg.DB.IdempotentResponse(ctx, idem.Key)
		if err != nil || r != nil {
			return nil, r, err
		}
	}
	now := s.cfg.Now()
	rep, err := VerifyDocument(ctx, d, s.cfg.Trust, now, s.cfg.Policy)
	if err != nil {
		return nil, nil, err
	}
	if !rep.Valid {
		for _, e := range rep.Errs() {
			if errors.Is(e, ErrNotCovered) || errors.Is(e, ErrGap) || errors.Is(e, ErrTimeStamp) || errors.Is(e, ErrWeakHash) {
				return nil, nil, fmt.Errorf("%w: %w", ErrSignatureInvalid, e)
			}
		}
		if errs := rep.Errs(); len(errs) > 0 {
			return nil, nil, fmt.Errorf("%w: the container does not verify: %w", ErrSignatureInvalid, errs[0])
		}
		return nil, nil, fmt.Errorf("%w: the container does not verify", ErrSignatureInvalid)
	}
	if d.Evidence == nil {
		// Nothing covers the signature files yet, so they are extended as any ingest's
		// are (rule DC-6): a signature time-stamp where a signer has none, and the
		// chains and revocation data that decided. Stored as they came, a signature
		// without a time-stamp proved no signing time: once its certificate expired,
		// the report called it expired "when the document was signed".
		return s.ingest(ctx, owner, d.Name, d.Content, d.Signatures, idem, nil, nil)
	}
	if err := s.checkLT(ctx, d, rep, now); err != nil {
		return nil, nil, err
	}
	er, err := ParseEvidenceRecord(d.Evidence)
	if err != nil { // VerifyDocument accepted it: unreachable
		return nil, nil, err
	}
	return s.ingest(ctx, owner, d.Name, d.Content, d.Signatures, idem, &imported{rep: rep, chains: er.Chains}, nil)
}

// Roots returns the root certificates the archive verifies with: with them, `senim eds
// verify --ca FILE` checks an exported container as the archive does, without it.
func (s *Service) Roots() []*x509.Certificate { return slices.Clone(s.cfg.Trust.Roots) }

// ImportHash is the meaning of an imported container, for its Idempotency-Key: the
// document's name and the SHA-256 of its content, of each signature file in order and
// of the evidence record (none: empty), each length-prefixed. The ZIP around them —
// entry times, compression, order, ASiC-S or ASiC-E — does not count. (For a document
// of several signature files the ASiC-S holds them combined, so its hash differs from
// the ASiC-E's; each form is still the same as itself re-zipped.)
func ImportHash(d *Document) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	sum := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	field([]byte("senim import v1"))
	field([]byte(d.Name))
	field(sum(d.Content))
	for _, sig := range d.Signatures {
		field(sum(sig))
	}
	if d.Evidence != nil {
		field(sum(d.Evidence))
	} else {
		field(nil)
	}
	return h.Sum(nil)
}

// checkLT refuses (ErrNotLT) a container with an evidence record whose signatures are
// not CAdES-LT (rule DC-6; issue 14, item 1: every stored signature is LT). Ingest would
// add a signature time-stamp and embed the validation material, but here that changes
// the signature file's bytes, which the container's evidence record covers by hash: the
// record would no longer cover what is stored. Dropping the record and extending would
// keep the document but lose the earlier proof of existence the sender gave, without a
// word; so the container is refused and the sender re-exports it with LT signatures.
// LT means: every signer has a signature time-stamp, and the container verifies now
// with the trusted roots alone — no intermediate or CRL of the server's own — so it
// verifies later without the server.
func (s *Service) checkLT(ctx context.Context, d *Document, rep *Report, now time.Time) error {
	for i, sr := range rep.Signatures {
		for j, sg := range sr.Result.Signers {
			if sg.TimeStamp == nil {
				return fmt.Errorf("%w: signature file %d, signer %d has no signature time-stamp", ErrNotLT, i+1, j+1)
			}
		}
	}
	bare, err := VerifyDocument(ctx, d, Trust{Roots: s.cfg.Trust.Roots}, now, s.cfg.Policy)
	if err != nil {
		return err
	}
	if !bare.Valid {
		return fmt.Errorf("%w: the container does not verify with its own certificates and revocation data", ErrNotLT)
	}
	return nil
}

// Idempotency is an API request's Idempotency-Key: a repeated request returns the
// stored answer and stores nothing more.
type Idempotency struct {
	Key    store.IdempotencyKey
	Status int // of the first answer
	// Encode renders the answer stored for a repeat.
	Encode func(*Summary) ([]byte, error)
}

// imported is what Import gives ingest: the container's verification and the chains
// of its evidence record (kept as the document's earlier chains).
type imported struct {
	rep    *Report
	chains [][]ArchiveTimeStamp
}

func (s *Service) ingest(ctx context.Context, owner, name string, content []byte, sigs [][]byte, idem *Idempotency, imp *imported,
	then func(context.Context, *store.Tx, *Summary) error) (*Summary, *store.StoredResponse, error) {
	if s.cfg.Validation.Validator == nil && imp == nil {
		return nil, nil, errors.New("archive: ingest needs a validator")
	}
	if len(content) > s.cfg.MaxDocument {
		return nil, nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(content), s.cfg.MaxDocument)
	}
	if len(sigs) == 0 || len(sigs) > s.cfg.MaxSignatures {
		return nil, nil, fmt.Errorf("%w: %d signature files (1 to %d)", ErrBadCMS, len(sigs), s.cfg.MaxSignatures)
	}
	unnamed := CleanName(name) == defaultName && strings.TrimSpace(name) != defaultName
	name = CleanName(name)
	if idem != nil {
		// A repeat is answered before any work: validating again would write a new
		// signature blob (its time-stamp differs) that nothing references. The claim in
		// the storing transaction still decides between two first requests at once.
		r, err := s.cfg.DB.IdempotentResponse(ctx, idem.Key)
		if err != nil || r != nil {
			return nil, r, err
		}
	}
	lts := make([][]byte, len(sigs))
	parties := map[string]bool{owner: true}
	signers := map[string]bool{} // the IINs of signing persons, made parties in the transaction
	for i, sig := range sigs {
		var lt []byte
		var res *cms.Result
		var err error
		if imp != nil {
			lt, res = sig, imp.rep.Signatures[i].Result
		} else if lt, res, err = MakeLT(ctx, sig, content, s.cfg.Validation); err != nil {
			return nil, nil, err
		}
		if content == nil {
			content = res.Content
		}
		if len(content) > s.cfg.MaxDocument {
			return nil, nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(content))
		}
		lts[i] = lt
		for _, sr := range res.Signers {
			if sr.CertInfo == nil {
				continue
			}
			bin, iin := sr.CertInfo.Subject.BIN, sr.CertInfo.Subject.IIN
			if bin != "" {
				parties[actor.Org(bin).String()] = true
			}
			// A person signing with a legal entity's certificate (OU=BIN) signs for
			// the organisation, which is the party: the employee does not get the
			// organisation's contracts in their own cabinet, to keep after they leave.
			// An individual entrepreneur's BIN is their IIN: they stay a citizen party.
			if iin != "" && (bin == "" || bin == iin) && s.cfg.Parties != nil {
				signers[iin] = true
			}
		}
	}
	if unnamed {
		// Named by its content ("document.pdf"), not "document.bin": a download is
		// opened by its extension.
		name = FileName("document", content)
	}
	// Blobs in the database the rows go to are put in the rows' transaction: one
	// commit, so one turn of SQLite's single writer and one fsync, where a Put each
	// was a commit each (BenchmarkIngestParallel). Other stores put them first:
	// content-addressed and idempotent, so a failed transaction leaves at most
	// unreferenced bytes, never a row without its bytes.
	dbBlobs, inTx := s.cfg.Blobs.(DBBlobs)
	inTx = inTx && dbBlobs.DB == s.cfg.DB
	caddr := Address(content)
	saddrs := make([]string, len(lts))
	for i, lt := range lts {
		saddrs[i] = Address(lt)
	}
	if !inTx {
		if _, err := s.cfg.Blobs.Put(ctx, content); err != nil {
			return nil, nil, err
		}
		for _, lt := range lts {
			if _, err := s.cfg.Blobs.Put(ctx, lt); err != nil {
				return nil, nil, err
			}
		}
	}
	var replay *store.StoredResponse
	sum := &Summary{ID: newID(), Name: name, Size: int64(len(content)), ContentSHA256: caddr, Signatures: len(lts), CreatedAt: s.cfg.Now().UTC()}
	err := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		if idem != nil {
			r, err := tx.ClaimIdempotencyKey(ctx, idem.Key)
			if err != nil || r != nil {
				replay = r
				return err
			}
		}
		if inTx {
			for _, b := range append([][]byte{content}, lts...) {
				if _, err := dbBlobs.PutTx(ctx, tx, b); err != nil {
					return err
				}
			}
		}
		id, err := tx.InsertID(ctx, `INSERT INTO archive_documents (public_id, name, content_sha256, content_size, owner, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, sum.ID, name, caddr, sum.Size, owner, store.Micros(sum.CreatedAt))
		if err != nil {
			return err
		}
		for i, a := range saddrs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO archive_signatures (document_id, seq, sha256) VALUES (?, ?, ?)`, id, i, a); err != nil {
				return err
			}
		}
		if imp != nil {
			for i, ch := range imp.chains {
				der, err := MarshalChain(ch)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO archive_prior_chains (document_id, seq, chain) VALUES (?, ?, ?)`, id, i, der); err != nil {
					return err
				}
			}
		}
		// A later signature refused, or the transaction failed, leaves no citizen
		// record behind for an earlier signer (bad input changes nothing). The set is
		// made again on every attempt: a retried transaction rolled back the records.
		all := maps.Clone(parties)
		for iin := range signers {
			ref, err := s.cfg.Parties.SubjectRefTx(ctx, tx, iin)
			if err != nil {
				return err
			}
			all[ref] = true
		}
		for p := range all {
			if _, err := tx.ExecContext(ctx, `INSERT INTO archive_parties (document_id, party) VALUES (?, ?)`, id, p); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, EvIngested, owner, sum.ID, map[string]any{"signatures": len(lts)}); err != nil {
			return err
		}
		if then != nil {
			if err := then(ctx, tx, sum); err != nil {
				return err
			}
		}
		if idem == nil {
			return nil
		}
		b, err := idem.Encode(sum)
		if err != nil {
			return err
		}
		return tx.SaveIdempotentResponse(ctx, idem.Key, store.StoredResponse{Status: idem.Status, ContentType: "application/json", Body: b})
	})
	if err != nil {
		return nil, nil, err
	}
	return sum, replay, nil
}

// emit records an ingest, view or export of document doc by who (rule DC-6; issue 14,
// item 5): one event, and so one log entry, for each citizen party of the document,
// with that citizen as its subject, so that every citizen the document concerns sees
// in her history what was done with it and by whom — an organisation that is a party
// opening or exporting it, a co-signer, the owner. (Before, the subject was only the
// acting citizen: an organisation's view of a citizen's contract was in no citizen's
// history.) A document of organisations only has one event with no subject. The
// parties are read in tx, so an ingest's own parties count.
//
// Each citizen's event is also a row of the document's history (archive_actions), the
// event's own type, actor and time, in the same transaction: the document page reads
// that (Actions), never the outbox.
func (s *Service) emit(ctx context.Context, tx *store.Tx, typ, who, doc string, extra map[string]any) error {
	p := map[string]any{"document": doc}
	for k, v := range extra {
		p[k] = v
	}
	b, _ := json.Marshal(p)
	rows, err := tx.QueryContext(ctx, `SELECT d.id, p.party FROM archive_parties p JOIN archive_documents d ON d.id = p.document_id
		WHERE d.public_id = ? ORDER BY p.party`, doc)
	if err != nil {
		return err
	}
	var docID int64
	var subjects []string
	for rows.Next() {
		var party string
		if err := rows.Scan(&docID, &party); err != nil {
			rows.Close()
			return err
		}
		if actor.IsCitizen(party) {
			subjects = append(subjects, party)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(subjects) == 0 {
		subjects = []string{""}
	}
	for _, subject := range subjects {
		ev, err := tx.Emit(ctx, store.Event{Type: typ, Actor: who, Subject: subject, Payload: b})
		if err != nil {
			return err
		}
		if subject == "" {
			continue // in no one's history
		}
		// Copied from the event just written, so the history says what the outbox
		// says, to the microsecond of the store's clock.
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_actions (document_id, party, event_id, type, actor, created_at)
			SELECT ?, subject, id, type, actor, created_at FROM outbox_events WHERE id = ?`, docID, ev); err != nil {
			return err
		}
	}
	return nil
}

func newID() string { return secret.Nonce(16) }

// Page is a page of the documents a party sees, newest first.
type Page struct {
	Documents []Summary
	// Next is the cursor of the following page (List's after); empty on the last one.
	Next string
}

// Paging of List: the page size when none is asked for, and the largest.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// List returns a page of the documents party is a party of, newest first: at most
// limit (0: DefaultPageSize; 1 to MaxPageSize), after the cursor after (the Next of
// the page before; empty for the first page). A cursor that is not the id of a
// document party sees is ErrCursor, a limit out of range problem.InvalidField.
func (s *Service) List(ctx context.Context, party, after string, limit int) (*Page, error) {
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 1 || limit > MaxPageSize:
		return nil, problem.Field("limit", fmt.Sprintf("an integer from 1 to %d", MaxPageSize))
	}
	from := int64(math.MaxInt64)
	if after != "" {
		err := s.cfg.DB.QueryRowContext(ctx, `SELECT p.document_id FROM archive_documents d JOIN archive_parties p ON p.document_id = d.id
			WHERE d.public_id = ? AND p.party = ?`, after, party).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrCursor
		}
		if err != nil {
			return nil, err
		}
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT d.public_id, d.name, d.content_size, d.content_sha256, d.batch_id IS NOT NULL, d.created_at,
		(SELECT COUNT(*) FROM archive_signatures g WHERE g.document_id = d.id)
		FROM archive_parties p JOIN archive_documents d ON d.id = p.document_id
		WHERE p.party = ? AND p.document_id < ? ORDER BY p.document_id DESC LIMIT ?`, party, from, limit+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &Page{Documents: []Summary{}}
	for rows.Next() {
		var sm Summary
		var created int64
		if err := rows.Scan(&sm.ID, &sm.Name, &sm.Size, &sm.ContentSHA256, &sm.Sealed, &created, &sm.Signatures); err != nil {
			return nil, err
		}
		sm.CreatedAt = store.FromMicros(created)
		page.Documents = append(page.Documents, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Documents) > limit {
		page.Documents = page.Documents[:limit]
		page.Next = page.Documents[limit-1].ID
	}
	return page, nil
}

// Open returns a document party may see, with its evidence record, and records the
// view (archive.document.viewed, or archive.document.exported when export is true).
// A document party may not see is ErrNotFound, like one that does not exist.
func (s *Service) Open(ctx context.Context, party, id string, export bool) (*Document, *Summary, error) {
	d, sm, err := s.load(ctx, party, id)
	if err != nil {
		return nil, nil, err
	}
	typ := EvViewed
	if export {
		typ = EvExported
	}
	if err := s.record(ctx, typ, party, id); err != nil {
		return nil, nil, err
	}
	return d, sm, nil
}

// Export returns the container (MimeTypeASiCS or MimeTypeASiCE) of a document party
// may see and records the export (archive.document.exported) once the container is
// made: a document that has no ASiC-S form (ErrNotSimple) is not exported, and neither
// the outbox nor the citizen's history says it was. Errors as Open's, and WriteASiCS's.
func (s *Service) Export(ctx context.Context, party, id, mimeType string) ([]byte, *Summary, error) {
	d, sm, err := s.load(ctx, party, id)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	write := WriteASiCE
	if mimeType == MimeTypeASiCS {
		write = WriteASiCS
	}
	if err := write(&buf, d, s.cfg.Now()); err != nil {
		return nil, nil, err
	}
	if err := s.record(ctx, EvExported, party, id); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), sm, nil
}

// Action is one ingest, view or export of a document, as a citizen party's history of
// it shows it: what (EvIngested, EvViewed, EvExported), who (an actor reference:
// "citizen:<id>", "org:<BIN>") and when.
type Action struct {
	Type  string
	Actor string
	At    time.Time
}

// Actions returns what was done with document id, oldest first, as recorded for party
// (emit: one event, and one row of the document's history, for each citizen party):
// ErrNotFound when party may not see it, so no one reads another's document history.
// At most MaxActions, the newest. It reads the document's own history by its index
// (archive_actions), whatever else the party has archived.
func (s *Service) Actions(ctx context.Context, party, id string) ([]Action, error) {
	var doc int64
	err := s.cfg.DB.QueryRowContext(ctx, partyDocumentQuery, id, party).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.QueryContext(ctx, actionsQuery, doc, party, MaxActions)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var at int64
		if err := rows.Scan(&a.Type, &a.Actor, &at); err != nil {
			return nil, err
		}
		a.At = store.FromMicros(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// partyDocumentQuery reads the internal id of a document (its public id) that a party
// sees; no row for any other party.
const partyDocumentQuery = `SELECT p.document_id FROM archive_documents d JOIN archive_parties p ON p.document_id = d.id
	WHERE d.public_id = ? AND p.party = ?`

// actionsQuery reads the newest actions, at most a limit, of a document (its internal
// id) in a party's history, newest first: the primary key of archive_actions, backwards.
const actionsQuery = `SELECT type, actor, created_at FROM archive_actions
	WHERE document_id = ? AND party = ? ORDER BY event_id DESC LIMIT ?`

// MaxActions bounds the actions Actions returns.
const MaxActions = 200

// record writes the event of a view or an export of document id by party.
func (s *Service) record(ctx context.Context, typ, party, id string) error {
	return s.cfg.DB.Tx(ctx, func(tx *store.Tx) error { return s.emit(ctx, tx, typ, party, id, nil) })
}

// load reads a document party may see, with its evidence record; ErrNotFound for any
// other.
func (s *Service) load(ctx context.Context, party, id string) (*Document, *Summary, error) {
	var docID int64
	var batch sql.NullInt64
	var path []byte
	var created int64
	sm := &Summary{ID: id}
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT d.id, d.name, d.content_size, d.content_sha256, d.batch_id, d.leaf_path, d.created_at
		FROM archive_documents d JOIN archive_parties p ON p.document_id = d.id AND p.party = ? WHERE d.public_id = ?`, party, id).
		Scan(&docID, &sm.Name, &sm.Size, &sm.ContentSHA256, &batch, &path, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	sm.CreatedAt, sm.Sealed = store.FromMicros(created), batch.Valid
	d := &Document{Name: sm.Name}
	if d.Content, err = s.cfg.Blobs.Get(ctx, sm.ContentSHA256); err != nil {
		return nil, nil, err
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT sha256 FROM archive_signatures WHERE document_id = ? ORDER BY seq`, docID)
	if err != nil {
		return nil, nil, err
	}
	var addrs []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return nil, nil, err
		}
		addrs = append(addrs, a)
	}
	rows.Close()
	for _, a := range addrs {
		b, err := s.cfg.Blobs.Get(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		d.Signatures = append(d.Signatures, b)
	}
	sm.Signatures = len(d.Signatures)
	var bp *int64
	if batch.Valid {
		bp = &batch.Int64
	}
	chains, err := s.newChainCache().chains(ctx, docID, bp, path)
	if err != nil {
		return nil, nil, err
	}
	if len(chains) > 0 {
		if d.Evidence, err = recordOf(chains).Marshal(); err != nil {
			return nil, nil, err
		}
	}
	return d, sm, nil
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil {
			return nil, fmt.Errorf("%w: OID %q", ErrMalformedRecord, s)
		}
		oid = append(oid, n)
	}
	return oid, nil
}

// tokenTimes returns a token's genTime and its TSA certificate's notAfter.
func tokenTimes(tok []byte) (gen, notAfter time.Time, err error) {
	t, err := tsp.ParseToken(tok)
	if err != nil {
		return gen, notAfter, err
	}
	c := t.SignedData.SignerCertificate(t.SignedData.Signers[0])
	if c == nil {
		return gen, notAfter, fmt.Errorf("%w: the archive time-stamp does not carry its TSA certificate", ErrTimeStamp)
	}
	return t.Info.GenTime, c.NotAfter, nil
}

// Seal puts up to max unsealed documents into one new evidence-record batch: one hash
// tree, one time-stamp (archive.batch.sealed). It returns how many were sealed.
func (s *Service) Seal(ctx context.Context, max int) (int, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT d.id, d.content_sha256 FROM archive_documents d WHERE d.batch_id IS NULL ORDER BY d.id LIMIT ?`, max)
	if err != nil {
		return 0, err
	}
	type item struct {
		id   int64
		addr string
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.addr); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, it)
	}
	rows.Close()
	if len(items) == 0 {
		return 0, nil
	}
	alg := s.cfg.Policy.Hash
	h, err := hasher(alg)
	if err != nil {
		return 0, err
	}
	// A document imported with its evidence record continues it: its group is a
	// hash-tree renewal of the kept chains (RFC 4998, section 5.2).
	cache := s.newChainCache()
	groups := make([][][]byte, len(items))
	for i, it := range items {
		objs, err := s.objects(ctx, it.id, it.addr)
		if err != nil {
			return 0, err
		}
		prior, err := cache.prior(ctx, it.id)
		if err != nil {
			return 0, err
		}
		if groups[i], err = objectHashes(h, objs, prior); err != nil {
			return 0, err
		}
	}
	atss, err := Seal(ctx, s.cfg.TSA, alg, groups)
	if err != nil {
		return 0, err
	}
	tok, err := withValidationData(atss[0].TimeStamp, s.tsaCerts(ctx, atss[0].TimeStamp), s.crls())
	if err != nil {
		return 0, err
	}
	if err := s.checkOffline(ctx, tok); err != nil {
		return 0, err
	}
	gen, notAfter, err := tokenTimes(tok)
	if err != nil {
		return 0, err
	}
	head, err := MarshalATS(ArchiveTimeStamp{DigestAlgorithm: alg, TimeStamp: tok})
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		batch, err := tx.InsertID(ctx, `INSERT INTO archive_batches (hash_alg, created_at) VALUES (?, ?) RETURNING id`, alg.String(), store.Micros(now))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_stamps (batch_id, seq, ats, gen_time, tsa_not_after) VALUES (?, 0, ?, ?, ?)`,
			batch, head, store.Micros(gen), store.Micros(notAfter)); err != nil {
			return err
		}
		for i, it := range items {
			path, err := marshalTree(atss[i].ReducedHashtree)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE archive_documents SET batch_id = ?, leaf_path = ? WHERE id = ? AND batch_id IS NULL`, batch, path, it.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("archive: document sealed concurrently")
			}
		}
		b, _ := json.Marshal(map[string]any{"batch": batch, "documents": len(items)})
		_, err = tx.Emit(ctx, store.Event{Type: EvSealed, Actor: actor.System.String(), Payload: b})
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(items), nil
}

// tsaCerts returns the certificates that go into a new archive time-stamp: the
// configured TSA chain, and the path from the token's TSA certificate to a root of
// Trust — serve knows the TSA's CAs from --ca (Trust), not as a TSA chain, and a TSA
// may answer with its own certificate only. Without such a path it is the TSA chain
// alone (checkOffline then says what is missing).
func (s *Service) tsaCerts(ctx context.Context, tok []byte) []*x509.Certificate {
	out := append([]*x509.Certificate(nil), s.cfg.TSAChain...)
	if len(s.cfg.Trust.Roots) == 0 {
		return out
	}
	t, err := tsp.ParseToken(tok)
	if err != nil {
		return out
	}
	cert := t.SignedData.SignerCertificate(t.SignedData.Signers[0])
	if cert == nil {
		return out
	}
	v, err := pki.New(pki.Config{Roots: s.cfg.Trust.Roots, Intermediates: append(append([]*x509.Certificate(nil), s.cfg.Trust.Intermediates...), s.cfg.TSAChain...)})
	if err != nil {
		return out
	}
	res := v.Validate(ctx, cert, t.Info.GenTime, pki.Options{Intermediates: t.SignedData.Certificates})
	return append(out, res.Chain...)
}

// checkOffline refuses an archive time-stamp that would not verify later without a
// network (rule DC-6): it must verify at its genTime with nothing but the certificates
// and CRLs it carries, up to a root the operator gave as part of the TSA chain (a
// self-issued certificate of TSAChain: `senim archive --tsa-cert`, or the sandbox CA's
// TSA) or one of Trust.Roots (serve's --ca, which must hold the TSA's root anyway:
// ingest checks the signature time-stamps it adds against it) — exactly as
// VerifyRecord verifies it. The error wraps ErrSealValidationData and says what is
// missing.
func (s *Service) checkOffline(ctx context.Context, tok []byte) error {
	t, err := tsp.ParseToken(tok)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTimeStamp, err)
	}
	roots := append([]*x509.Certificate(nil), s.cfg.Trust.Roots...)
	for _, c := range s.cfg.TSAChain {
		// Self-issued, not self-signed: checking the signature is the validator's work,
		// and crypto/x509 cannot check a GOST one.
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			roots = append(roots, c)
		}
	}
	if len(roots) == 0 {
		return fmt.Errorf("%w: no root of the TSA is configured: give the TSA's chain up to its root (senim archive --tsa-cert; senim serve --ca)", ErrSealValidationData)
	}
	v, err := Trust{Roots: roots}.validator(t.SignedData.RawCRLs)
	if err != nil {
		return err
	}
	_, err = tsp.VerifyToken(ctx, tok, tsp.VerifyOptions{HashedMessage: t.Info.HashedMessage, Validator: v,
		Revocation: []pki.RevocationMethod{pki.RevocationCRL}})
	if err != nil {
		return fmt.Errorf("%w: the TSA certificate does not verify with the chain and CRLs the time-stamp carries "+
			"(give its chain up to the root — senim archive --tsa-cert, senim serve --ca — and a current CRL of each CA on it with --crl): %w", ErrSealValidationData, err)
	}
	return nil
}

func (s *Service) crls() [][]byte {
	var out [][]byte
	for _, c := range s.cfg.Validation.crls() {
		out = append(out, c.Raw)
	}
	return out
}

// RenewResult says what Renew did.
type RenewResult struct {
	// Renewed is the number of batches whose archive time-stamp was renewed (all with
	// one new time-stamp).
	Renewed int
	// HashTreeBatches is the number of batches whose hash algorithm weakens within the
	// margin and whose documents were renewed by a new hash tree (one new time-stamp
	// for all), HashTreeDocuments the number of those documents.
	HashTreeBatches   int
	HashTreeDocuments int
}

// DueBatches are the evidence-record batches Renew would renew now.
type DueBatches struct {
	// HashTree: batches whose hash algorithm is weak at now + Policy.RenewBefore
	// (Policy.WeakFrom); their documents need a new hash tree (rule DC-6).
	HashTree []int64
	// TimeStamp: the other batches whose last TSA certificate expires within
	// Policy.RenewBefore; their last archive time-stamp needs renewing.
	TimeStamp []int64
}

// Due selects the batches that hold documents and need renewal now (batches that
// hold none were left behind by a hash-tree renewal: frozen, never renewed again).
func (s *Service) Due(ctx context.Context) (DueBatches, error) {
	var due DueBatches
	now := s.cfg.Now()
	margin := now.Add(s.cfg.Policy.RenewBefore)
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT b.id, b.hash_alg, s.tsa_not_after FROM archive_batches b
		JOIN archive_stamps s ON s.batch_id = b.id AND s.seq = (SELECT MAX(x.seq) FROM archive_stamps x WHERE x.batch_id = b.id)
		WHERE EXISTS (SELECT 1 FROM archive_documents d WHERE d.batch_id = b.id) ORDER BY b.id`)
	if err != nil {
		return due, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, notAfter int64
		var algS string
		if err := rows.Scan(&id, &algS, &notAfter); err != nil {
			return due, err
		}
		alg, err := parseOID(algS)
		if err != nil {
			return due, err
		}
		switch {
		case s.cfg.Policy.weakWithin(alg, now, s.cfg.Policy.RenewBefore):
			due.HashTree = append(due.HashTree, id)
		case !store.FromMicros(notAfter).After(margin):
			due.TimeStamp = append(due.TimeStamp, id)
		}
	}
	return due, rows.Err()
}

// Renew renews the evidence of every batch that Due selects
// (archive.evidence.renewed): the documents of batches whose hash algorithm weakens
// within Policy.RenewBefore get a new hash tree with Policy.Hash, all with one new
// time-stamp; the other batches whose TSA certificate expires within the margin get
// their last archive time-stamp renewed, all with one new time-stamp. Time-stamp
// renewal touches no document: a batch's renewal is one row, whatever its size.
func (s *Service) Renew(ctx context.Context) (RenewResult, error) {
	var res RenewResult
	now := s.cfg.Now()
	due := now.Add(s.cfg.Policy.RenewBefore)
	sel, err := s.Due(ctx)
	if err != nil {
		return res, err
	}
	if len(sel.HashTree) > 0 {
		n, err := s.renewHashTrees(ctx, sel.HashTree, due)
		if err != nil {
			return res, err
		}
		res.HashTreeBatches, res.HashTreeDocuments = len(sel.HashTree), n
	}
	if len(sel.TimeStamp) == 0 {
		return res, nil
	}
	isDue := map[int64]bool{}
	for _, b := range sel.TimeStamp {
		isDue[b] = true
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT s.batch_id, s.seq, s.ats, b.hash_alg FROM archive_stamps s
		JOIN archive_batches b ON b.id = s.batch_id
		WHERE s.seq = (SELECT MAX(x.seq) FROM archive_stamps x WHERE x.batch_id = s.batch_id) AND s.tsa_not_after <= ?
		ORDER BY s.batch_id`, store.Micros(due))
	if err != nil {
		return res, err
	}
	type last struct {
		batch int64
		seq   int
		ats   ArchiveTimeStamp
	}
	byAlg := map[string][]last{}
	for rows.Next() {
		var l last
		var raw []byte
		var alg string
		if err := rows.Scan(&l.batch, &l.seq, &raw, &alg); err != nil {
			rows.Close()
			return res, err
		}
		if !isDue[l.batch] {
			continue
		}
		if l.ats, err = ParseATS(raw); err != nil {
			rows.Close()
			return res, err
		}
		byAlg[alg] = append(byAlg[alg], l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for algS, lasts := range byAlg {
		alg, err := parseOID(algS)
		if err != nil {
			return res, err
		}
		toks := make([][]byte, len(lasts))
		for i, l := range lasts {
			toks[i] = l.ats.TimeStamp
		}
		crls := s.crls()
		updated, atss, err := RenewTokens(ctx, s.cfg.TSA, alg, toks, s.cfg.TSAChain, crls)
		if err != nil {
			return res, err
		}
		// The new time-stamp carries its own validation data at once, as a seal's
		// does: the record is exported and verified offline before the next renewal.
		tok, err := withValidationData(atss[0].TimeStamp, s.tsaCerts(ctx, atss[0].TimeStamp), crls)
		if err != nil {
			return res, err
		}
		for i := range atss {
			atss[i].TimeStamp = tok
		}
		gen, notAfter, err := tokenTimes(tok)
		if err != nil {
			return res, err
		}
		if !notAfter.After(due) {
			// Renewing with a certificate that is itself due changes nothing and would
			// be repeated at every run: the TSA key must be rolled first.
			return res, fmt.Errorf("%w: the TSA certificate expires at %s, within the renewal margin", ErrTSAExpiring, notAfter.UTC().Format(time.RFC3339))
		}
		if err := s.checkOffline(ctx, tok); err != nil {
			return res, err
		}
		err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
			for i, l := range lasts {
				old := l.ats
				old.TimeStamp = updated[i]
				oldDER, err := MarshalATS(old)
				if err != nil {
					return err
				}
				newDER, err := MarshalATS(atss[i])
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE archive_stamps SET ats = ? WHERE batch_id = ? AND seq = ?`, oldDER, l.batch, l.seq); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO archive_stamps (batch_id, seq, ats, gen_time, tsa_not_after) VALUES (?, ?, ?, ?, ?)`,
					l.batch, l.seq+1, newDER, store.Micros(gen), store.Micros(notAfter)); err != nil {
					return err
				}
			}
			b, _ := json.Marshal(map[string]any{"batches": len(lasts)})
			_, err := tx.Emit(ctx, store.Event{Type: EvRenewed, Actor: actor.System.String(), Payload: b})
			return err
		})
		if err != nil {
			return res, err
		}
		res.Renewed += len(lasts)
	}
	return res, nil
}

// DefaultBlobGrace is how long CollectBlobs leaves an unreferenced blob alone: far
// longer than any ingest takes between putting its bytes and committing the rows that
// reference them.
const DefaultBlobGrace = 24 * time.Hour

// CollectBlobs deletes the blobs that no document and no signature references and
// that were last put more than grace ago (DefaultBlobGrace when zero or less): the
// bytes of an ingest whose storing transaction failed, or that lost the claim of its
// Idempotency-Key to a concurrent first request. It returns how many it deleted; a
// store that cannot be swept is left alone. A blob an ingest puts again meanwhile is
// not deleted (BlobSweeper.Remove checks its time once more).
func (s *Service) CollectBlobs(ctx context.Context, grace time.Duration) (int, error) {
	sw, ok := s.cfg.Blobs.(BlobSweeper)
	if !ok {
		return 0, nil
	}
	if grace <= 0 {
		grace = DefaultBlobGrace
	}
	before := s.cfg.Now().Add(-grace)
	n := 0
	err := sw.Old(ctx, before, func(addrs []string) error {
		refs, err := s.referenced(ctx, addrs)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if refs[a] {
				continue
			}
			ok, err := sw.Remove(ctx, a, before)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// referenced returns which of addrs a document's content or a signature references.
func (s *Service) referenced(ctx context.Context, addrs []string) (map[string]bool, error) {
	in := strings.Repeat("?, ", len(addrs)-1) + "?"
	args := make([]any, 0, 2*len(addrs))
	for range 2 {
		for _, a := range addrs {
			args = append(args, a)
		}
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT content_sha256 FROM archive_documents WHERE content_sha256 IN (`+in+`)
		UNION SELECT sha256 FROM archive_signatures WHERE sha256 IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := make(map[string]bool, len(addrs))
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		refs[a] = true
	}
	return refs, rows.Err()
}
