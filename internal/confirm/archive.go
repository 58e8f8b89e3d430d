package confirm

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/store"
)

// ArchiveConsumer is the outbox consumer that puts EDS-confirmed agreements into the
// archive (rule DC-5).
//
// Why a consumer of confirm.eds.signed and not a step of Sign: ingest extends the
// signature to CAdES-LT, which asks the TSA and gathers revocation material — network
// calls that must not hold the answer's transaction open, and that may fail for a while
// without making the citizen's valid signature any less recorded. The outbox delivers
// the event until the ingest succeeds; the document's id is written to
// confirm_signatures inside the archive's own ingest transaction, guarded by
// archive_id = ”, so a redelivered event stores and references the document exactly
// once.
const ArchiveConsumer = "confirm.archive"

// errArchived: the agreement was archived meanwhile; the ingest is rolled back.
// errSwept: the request was answered or swept meanwhile; the expiry event is rolled back.
var (
	errArchived = errors.New("confirm: agreement already archived")
	errSwept    = errors.New("confirm: request no longer pending")
)

// Run puts EDS-signed agreements into the archive (when an archive is configured) and
// sweeps expired requests (confirm.request.expired) every SweepEvery, until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	if s.cfg.Archive != nil {
		go func() { errc <- s.db.RunConsumer(ctx, ArchiveConsumer, 50, s.cfg.SweepEvery, s.archiveEvents) }()
	}
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		if _, err := s.SweepExpired(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "confirm: expiry sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-t.C:
		}
	}
}

// SyncArchive runs the archive consumer over the events waiting (tests, commands).
func (s *Service) SyncArchive(ctx context.Context) (int, error) {
	if s.cfg.Archive == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := s.db.ConsumeBatch(ctx, ArchiveConsumer, 50, s.archiveEvents)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func (s *Service) archiveEvents(ctx context.Context, evs []store.Event) error {
	for _, e := range evs {
		if e.Type != EvEDSSigned {
			continue
		}
		var p struct {
			Request string `json:"request"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || !validID(p.Request) {
			s.cfg.Logger.WarnContext(ctx, "confirm: malformed confirm.eds.signed event skipped", "event", e.ID)
			continue
		}
		if err := s.ArchiveAgreement(ctx, p.Request); err != nil {
			if permanent(err) {
				// The archive refuses the signature for good (it cannot get worse by
				// retrying): the CMS stays kept in confirm_signatures as signed, and the
				// refusal is logged by its code; the queue goes on.
				s.cfg.Logger.ErrorContext(ctx, "confirm: the archive refused an EDS agreement", "request", p.Request, "code", eds.Code(err))
				continue
			}
			return err
		}
	}
	return nil
}

// permanent reports an archive refusal that a retry cannot change.
func permanent(err error) bool {
	for _, e := range []error{archive.ErrSignatureInvalid, archive.ErrBadCMS, archive.ErrContentMismatch, archive.ErrTooLarge} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ArchiveAgreement stores the EDS-signed agreement of request id in the archive, once:
// the exact text signed, its CMS (extended to CAdES-LT by the archive), owned by the
// relying party, with the signing citizen as a party too (rules DC-5, DC-6). An
// agreement archived already is left as it is.
func (s *Service) ArchiveAgreement(ctx context.Context, id string) error {
	if s.cfg.Archive == nil {
		return errors.New("confirm: no archive configured")
	}
	var der []byte
	var archived, org, lang, kk, ru string
	err := s.db.QueryRowContext(ctx, `SELECT s.cms, s.archive_id, r.org_bin, r.lang, r.text_kk, r.text_ru FROM confirm_signatures s
		JOIN confirm_requests r ON r.id = s.request_id WHERE s.request_id = ?`, id).Scan(&der, &archived, &org, &lang, &kk, &ru)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoEvidence
	}
	if err != nil || archived != "" {
		return err
	}
	text := map[string]string{"kk": kk, "ru": ru}[lang]
	if text == "" {
		return fmt.Errorf("confirm: request %s: signed in an unknown language %q", id, lang)
	}
	_, err = s.cfg.Archive.IngestThen(ctx, actor.Org(org).String(), AgreementName(id, lang), []byte(text), [][]byte{der},
		func(ctx context.Context, tx *store.Tx, sum *archive.Summary) error {
			res, err := tx.ExecContext(ctx, `UPDATE confirm_signatures SET archive_id = ? WHERE request_id = ? AND archive_id = ''`, sum.ID, id)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errArchived
			}
			return nil
		})
	if errors.Is(err, errArchived) {
		return nil
	}
	return err
}

// AgreementName is the archived agreement's file name (a plain name, as containers
// allow).
func AgreementName(id, lang string) string {
	return "agreement-" + strings.ReplaceAll(id, "_", "-") + "-" + lang + ".txt"
}

// SweepExpired marks pending requests past their deadline expired and emits
// confirm.request.expired for each, once: the state moves from pending in the same
// transaction as the event, guarded by state = 'pending', so two sweeps (two
// instances) emit it once. It returns how many expired.
//
// A sweep in Run rather than at read time: reads stay reads (a status GET by the
// relying party does not write), and a request nobody reads still gets its event.
// Reads meanwhile already show a pending request past its deadline as expired.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT id, org_bin, subject FROM confirm_requests WHERE state = 'pending' AND deadline <= ?
		ORDER BY deadline LIMIT 500`, store.Micros(now))
	if err != nil {
		return 0, err
	}
	type due struct{ id, org, subject string }
	var ds []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.org, &d.subject); err != nil {
			rows.Close()
			return 0, err
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			pl, _ := json.Marshal(map[string]string{"id": d.id, "org": d.org})
			ev, err := tx.Emit(ctx, store.Event{Type: EvExpired, Actor: actor.System.String(), Subject: d.subject, Payload: pl})
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE confirm_requests SET state = ?, expired_event = ? WHERE id = ? AND state = 'pending' AND deadline <= ?`,
				StateExpired, ev, d.id, store.Micros(now))
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				return errSwept // answered or swept meanwhile: roll the event back
			}
			return nil
		})
		switch {
		case errors.Is(err, errSwept):
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}
