package pd

import (
	"context"
	"database/sql"
	"errors"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/secret"

	"crypto/sha256"
	"encoding/hex"
	"github.com/senimkz/senim/internal/problem"
	"slices"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// TokenResponse is what an initiator gets when every check of its flow passed.
type TokenResponse struct {
	Status        string    `json:"status"` // "issued"
	SecurityToken string    `json:"security_token"`
	TokenType     string    `json:"token_type"`
	JTI           string    `json:"jti"`
	Mode          string    `json:"mode"`
	ExpiresAt     time.Time `json:"expires_at"`
	// TrustedSystem says whether the initiator's system is a trusted object (TR-1).
	TrustedSystem bool  `json:"trusted_system"`
	EventID       int64 `json:"event_id"`
}

// issuance is a security token about to be issued, with the writes that go with it.
//
// The subject's reference is found in the issuing transaction and a citizen record is
// made for an IIN Senim has not seen only once every check of the issuance passed, so
// a refused request creates no citizen and no identity.citizen.created event (bad
// input changes nothing).
type issuance struct {
	flow, iin                string
	knownRef                 string // the subject's reference when the caller knows it (flow 3)
	subjectRef               string // filled in by the transaction: knownRef, found or made
	initiator, owner         string
	scope                    []string
	purpose, code, consentID string
	trusted                  bool
	issuedAt, expires        time.Time
	sealedUntil              time.Time
	thumbprint               string // "" when the owner's sender constraint is off
	seenKey                  string // iss|jti of the verification token ("" in flow 3)
	seenUntil                time.Time
	smsID                    string
	// check runs inside the issuing transaction before anything is written (e.g. the
	// consent lookup, so a revocation committed before takes effect at once).
	check func(ctx context.Context, tx *store.Tx) error
	// filled in by the transaction
	jti     string
	eventID int64
}

// newJTI is a token's 128-bit random id.
func newJTI() string { return secret.Nonce(16) }

// Proactive runs flow 1 (PD-6.1.2–PD-6.1.9): every check in the order of the rules,
// each a named step whose problem names it, then a security token valid for the
// period of the proactive service (capped by the consent's period).
func (s *Service) Proactive(ctx context.Context, caller *orgauth.Caller, raw string) (*TokenResponse, error) {
	if caller == nil {
		return nil, ErrForbidden
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	trusted, err := d.trust(caller, s.now()) // TR-2
	if err != nil {
		return nil, err
	}
	if err := stepPresent(raw, "PD-6.1.3"); err != nil {
		return nil, err
	}
	vt, err := s.stepSignature(ctx, raw, "PD-6.1.4")
	if err != nil {
		return nil, err
	}
	c := &vt.claims
	if err := stepClaims(c, verifier.ModeProactive, "PD-6.1.2"); err != nil {
		return nil, err
	}
	// PD-6.1.1: the subject's consent was obtained by biometrics, EDS or on paper.
	if c.Consent == nil || !c.Consent.Obtained {
		return nil, ErrConsentNotFound.WithDetail("a proactive-service token must say the consent was obtained")
	}
	if !slices.Contains(ConsentMethods, c.Consent.Method) {
		return nil, ErrConsentMethod
	}
	// PD-6.1.5: the BIN and the proactive service code belong together.
	sc := d.services[c.ServiceCode]
	if c.ServiceCode == "" || sc == nil || !isTrue(sc.Active) {
		return nil, ErrServiceCode
	}
	if !slices.Contains(sc.BINs, caller.BIN) {
		return nil, ErrServiceCodeBIN
	}
	if c.Owner != sc.Owner || !subset(c.Scope, sc.DataSets) {
		return nil, ErrServiceCodeScope
	}
	if !slices.Contains(sc.ConsentMethods, c.Consent.Method) {
		return nil, ErrConsentMethod.WithDetail("this proactive service does not accept consent obtained by " + c.Consent.Method)
	}
	// PD-6.1.6: the BIN in the token equals the BIN of the request.
	if err := stepBIN(vt, caller.BIN, "PD-6.1.6"); err != nil {
		return nil, err
	}
	// PD-6.1.7: the ways of access are allowed for that access.
	if len(c.AccessMethods) == 0 || !subset(c.AccessMethods, sc.AccessMethods) {
		return nil, ErrAccessMethod.WithDetail("allowed: " + strings.Join(sc.AccessMethods, ", "))
	}
	// PD-6.1.8: the date the token was formed.
	if err := s.stepDate(c, "PD-6.1.8"); err != nil {
		return nil, err
	}
	owner := d.owners[sc.Owner]
	if owner == nil {
		return nil, ErrDataOwnerUnknown
	}
	now := s.now()
	is := &issuance{
		flow: verifier.ModeProactive, iin: c.Subject, initiator: caller.BIN, owner: c.Owner,
		scope: sortedUnique(c.Scope), purpose: c.Purpose, code: sc.Code, trusted: trusted,
		issuedAt: now, expires: now.Add(time.Duration(sc.PeriodSeconds) * time.Second),
		seenKey: seenKey(caller.BIN, c.ID), seenUntil: now.Add(s.cfg.MaxTokenAge + s.cfg.MaxFutureSkew),
	}
	if owner.Constrained() {
		is.thumbprint = caller.Thumbprint
	}
	// PD-6.1.1, PD-3.3: a live consent covers the request, read in the issuing
	// transaction so that a revocation committed before has immediate effect.
	is.check = func(ctx context.Context, tx *store.Tx) error {
		if is.subjectRef == "" {
			return ErrConsentNotFound // Senim has no record of the subject, so no consent
		}
		cons, err := s.activeConsent(ctx, tx, is.subjectRef, caller.BIN, c.Owner, is.scope, c.Consent.EvidenceRef)
		if err != nil {
			return err
		}
		is.consentID = cons.ID
		if cons.ValidUntil.Before(is.expires) {
			is.expires = cons.ValidUntil
		}
		return nil
	}
	// PD-6.1.9: issue.
	return s.issueToken(ctx, is)
}

// Protocol runs flow 2 (PD-6.2.1–PD-6.2.3): protocol mode on a legal ground without
// consent; a 15-minute security token. For a ground whose notice is deferred, the
// issuance event is sealed until the deferral ends.
func (s *Service) Protocol(ctx context.Context, caller *orgauth.Caller, raw string) (*TokenResponse, error) {
	if caller == nil {
		return nil, ErrForbidden
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	trusted, err := d.trust(caller, s.now()) // TR-2
	if err != nil {
		return nil, err
	}
	// PD-6.2.2: token present.
	if err := stepPresent(raw, "PD-6.2.2"); err != nil {
		return nil, err
	}
	// PD-6.2.2: signature.
	vt, err := s.stepSignature(ctx, raw, "PD-6.2.2")
	if err != nil {
		return nil, err
	}
	c := &vt.claims
	// PD-6.2.1: marked "no consent obtained", with a ground code.
	if err := stepClaims(c, verifier.ModeProtocol, "PD-6.2.1"); err != nil {
		return nil, err
	}
	if c.Consent == nil || c.Consent.Obtained {
		return nil, ErrConsentMarker
	}
	if c.GroundCode == "" {
		return nil, ErrGroundMissing
	}
	// PD-6.2.2: this BIN may receive security tokens in protocol mode (on this ground).
	g := d.grounds[c.GroundCode]
	if g == nil || !isTrue(g.Active) {
		return nil, ErrGroundUnknown
	}
	if !d.protocol[caller.BIN][g.Code] {
		return nil, ErrProtocolDenied
	}
	// PD-6.2.2: BIN in the token equals the BIN of the request.
	if err := stepBIN(vt, caller.BIN, "PD-6.2.2"); err != nil {
		return nil, err
	}
	// PD-6.2.2: the token's date.
	if err := s.stepDate(c, "PD-6.2.2"); err != nil {
		return nil, err
	}
	owner := d.owners[c.Owner]
	if owner == nil {
		return nil, ErrDataOwnerUnknown
	}
	if !owner.has(c.Scope) {
		return nil, ErrDataSetUnknown
	}
	now := s.now()
	is := &issuance{
		flow: verifier.ModeProtocol, iin: c.Subject, initiator: caller.BIN, owner: c.Owner,
		scope: sortedUnique(c.Scope), purpose: c.Purpose, code: g.Code, trusted: trusted,
		issuedAt: now, expires: now.Add(ProtocolLifetime), // PD-6.2.3
		sealedUntil: g.deferral(now),
		seenKey:     seenKey(caller.BIN, c.ID), seenUntil: now.Add(s.cfg.MaxTokenAge + s.cfg.MaxFutureSkew),
	}
	if owner.Constrained() {
		is.thumbprint = caller.Thumbprint
	}
	return s.issueToken(ctx, is)
}

func seenKey(bin, jti string) string {
	sum := sha256.Sum256([]byte(bin + "|" + jti))
	return hex.EncodeToString(sum[:])
}

// issueToken writes the issuance (used jti, token row, outbox event) in one
// transaction, then signs the token.
func (s *Service) issueToken(ctx context.Context, is *issuance) (*TokenResponse, error) {
	if err := s.issue.Do(ctx, is); err != nil {
		return nil, err
	}
	s.cacheRef(is.iin, is.subjectRef)
	claims := &verifier.Claims{
		Issuer: s.cfg.Issuer, Audience: is.owner, Subject: is.iin, Initiator: is.initiator, Mode: is.flow,
		Scope: is.scope, Purpose: is.purpose, Code: is.code, ConsentID: is.consentID, Trusted: is.trusted,
		IssuedAt: is.issuedAt.Unix(), Expiry: is.expires.Unix(), ID: is.jti, Event: is.eventID,
	}
	if is.thumbprint != "" {
		claims.Confirmation = &verifier.Confirmation{X5TS256: is.thumbprint}
	}
	tok, err := s.keys.sign(ctx, claims)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{Status: "issued", SecurityToken: tok, TokenType: verifier.TokenType, JTI: is.jti, Mode: is.flow,
		ExpiresAt: time.Unix(claims.Expiry, 0).UTC(), TrustedSystem: is.trusted, EventID: is.eventID}, nil
}

// issuedEvent is the payload of pd.token.issued. It names no IIN.
type issuedEvent struct {
	JTI         string   `json:"jti"`
	Flow        string   `json:"flow"`
	Initiator   string   `json:"initiator"`
	Owner       string   `json:"owner"`
	Scope       []string `json:"scope"`
	Purpose     string   `json:"purpose,omitempty"`
	Code        string   `json:"code,omitempty"`
	ConsentID   string   `json:"consent_id,omitempty"`
	SMSRequest  string   `json:"sms_request,omitempty"`
	Trusted     bool     `json:"trusted_system"`
	ExpiresAt   string   `json:"expires_at"`
	SealedUntil string   `json:"sealed_until,omitempty"` // auditlog.SealedUntilMember
	Automated   bool     `json:"automated"`
}

// writeBatch does the writes of a batch of issuances inside tx: each one's own check,
// then one statement that spends the batch's verification-token ids (a replay is
// refused alone), the outbox events, and one statement for the token rows. An
// issuance refused by a check gets its problem in errs; any other error fails the
// batch (and the transaction).
func (s *Service) writeBatch(ctx context.Context, tx *store.Tx, batch []*issuance, errs []error) error {
	isProblem := func(err error) bool {
		var p *problem.Problem
		return errors.As(err, &p)
	}
	// The subjects Senim knows, as this transaction sees them; a check sees "" for one
	// it does not know yet. Set again on every attempt: a retried transaction has
	// rolled back the records an earlier attempt made.
	for _, is := range batch {
		ref := is.knownRef
		if ref == "" {
			var err error
			if ref, err = s.knownRefTx(ctx, tx, is.iin); err != nil {
				return err
			}
		}
		is.subjectRef = ref
	}
	for i, is := range batch {
		if is.check != nil {
			if err := is.check(ctx, tx); err != nil {
				if !isProblem(err) {
					return err
				}
				errs[i] = err
			}
		}
	}
	// Replays: within the batch, then against every earlier token.
	pg := tx.Engine() == store.Postgres
	var q strings.Builder
	var keys []string
	var until []int64
	claimed := map[string]bool{}
	for i, is := range batch {
		if errs[i] != nil || is.seenKey == "" {
			continue
		}
		if claimed[is.seenKey] {
			errs[i] = ErrVTReplayed
			continue
		}
		claimed[is.seenKey] = true
		if !pg {
			if len(keys) > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
		}
		keys = append(keys, is.seenKey)
		until = append(until, store.Micros(is.seenUntil))
	}
	if len(keys) > 0 {
		rows, err := insertSeen(ctx, tx, pg, q.String(), keys, until)
		if err != nil {
			return err
		}
		inserted := map[string]bool{}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			inserted[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, is := range batch {
			if errs[i] == nil && is.seenKey != "" && !inserted[is.seenKey] {
				errs[i] = ErrVTReplayed
			}
		}
	}
	// The subjects Senim has not seen, made now that their issuances passed every check.
	for i, is := range batch {
		if errs[i] != nil || is.subjectRef != "" {
			continue
		}
		ref, err := s.cfg.Citizens.SubjectRefTx(ctx, tx, is.iin) // the IIN was checked with the claims
		if err != nil {
			return err
		}
		is.subjectRef = ref
	}
	// The events in one call (one statement on PostgreSQL), then the token rows in one
	// statement.
	var issued []*issuance
	var evs []store.Event
	for i, is := range batch {
		if errs[i] != nil {
			continue
		}
		is.jti = newJTI()
		ev := issuedEvent{JTI: is.jti, Flow: is.flow, Initiator: is.initiator, Owner: is.owner, Scope: is.scope, Purpose: is.purpose,
			Code: is.code, ConsentID: is.consentID, SMSRequest: is.smsID, Trusted: is.trusted, ExpiresAt: is.expires.UTC().Format(time.RFC3339),
			Automated: true}
		if !is.sealedUntil.IsZero() {
			ev.SealedUntil = is.sealedUntil.UTC().Format(time.RFC3339)
		}
		issued = append(issued, is)
		evs = append(evs, store.Event{Type: EvTokenIssued, Actor: actor.Org(is.initiator).String(), Subject: is.subjectRef, Payload: []byte(marshal(ev)), CreatedAt: is.issuedAt})
	}
	if len(issued) == 0 {
		return nil
	}
	ids, err := tx.EmitBatch(ctx, evs)
	if err != nil {
		return err
	}
	for k, is := range issued {
		is.eventID = ids[k]
	}
	if err := insertTokens(ctx, tx, pg, issued); err != nil {
		return err
	}
	for i, is := range batch {
		if errs[i] == nil && is.smsID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET status = 'issued', token_jti = ?, updated_at = ? WHERE id = ?`,
				is.jti, store.Micros(is.issuedAt), is.smsID); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertSeen spends the verification-token keys and returns the rows of those that
// were new. On PostgreSQL the keys go as two arrays, so the statement's text is the
// same for every batch size and pgx prepares it once per connection (a VALUES list of
// each length would be a statement of its own, parsed and planned again); on SQLite
// values is the batch's "(?, ?), ..." list.
func insertSeen(ctx context.Context, tx *store.Tx, pg bool, values string, keys []string, until []int64) (*sql.Rows, error) {
	if pg {
		return tx.QueryContext(ctx, `INSERT INTO pd_seen_tokens (key, expires_at) SELECT * FROM unnest(?::text[], ?::bigint[]) ON CONFLICT (key) DO NOTHING RETURNING key`, keys, until)
	}
	args := make([]any, 0, 2*len(keys))
	for i := range keys {
		args = append(args, keys[i], until[i])
	}
	return tx.QueryContext(ctx, `INSERT INTO pd_seen_tokens (key, expires_at) VALUES `+values+` ON CONFLICT (key) DO NOTHING RETURNING key`, args...)
}

// insertTokens writes the token rows of the issued in one statement: on PostgreSQL
// from one array per column (one statement text for every batch size, as in
// insertSeen), on SQLite as a VALUES list.
func insertTokens(ctx context.Context, tx *store.Tx, pg bool, issued []*issuance) error {
	const cols = `INSERT INTO pd_tokens (jti, flow, subject, initiator_bin, owner_bin, data_sets, purpose, code, consent_id, trusted, issued_at, expires_at, event_id, sealed_until)`
	sealed := func(is *issuance) int64 {
		if is.sealedUntil.IsZero() {
			return 0
		}
		return store.Micros(is.sealedUntil)
	}
	if pg {
		n := len(issued)
		var text [9][]string
		for c := range text {
			text[c] = make([]string, n)
		}
		var ints [5][]int64
		for c := range ints {
			ints[c] = make([]int64, n)
		}
		for k, is := range issued {
			for c, v := range []string{is.jti, is.flow, is.subjectRef, is.initiator, is.owner, marshal(is.scope), is.purpose, is.code, is.consentID} {
				text[c][k] = v
			}
			trusted := int64(0)
			if is.trusted {
				trusted = 1
			}
			for c, v := range []int64{trusted, store.Micros(is.issuedAt), store.Micros(is.expires), is.eventID, sealed(is)} {
				ints[c][k] = v
			}
		}
		_, err := tx.ExecContext(ctx, cols+` SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])`,
			text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8], ints[0], ints[1], ints[2], ints[3], ints[4])
		return err
	}
	var q strings.Builder
	args := make([]any, 0, 14*len(issued))
	for k, is := range issued {
		if k > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, is.jti, is.flow, is.subjectRef, is.initiator, is.owner, marshal(is.scope), is.purpose, is.code, is.consentID, is.trusted,
			store.Micros(is.issuedAt), store.Micros(is.expires), is.eventID, sealed(is))
	}
	_, err := tx.ExecContext(ctx, cols+` VALUES `+q.String(), args...)
	return err
}

// maxBatch bounds the issuances of one transaction.
const maxBatch = 256

// newIssueGroup commits issuances with group commit (store.Group): concurrent
// issuances share one transaction (one fsync, one writer turn on SQLite) instead of
// queueing for the writer one by one. An issuance refused by its own check (a replayed
// jti, a revoked consent) is refused alone: its checks run before any of its writes.
func newIssueGroup(s *Service) *store.Group[*issuance] {
	return store.NewGroup(s.db, maxBatch, s.writeBatch)
}

// ReleaseDeferredNotices sends the notices whose deferral has ended: for each sealed
// issuance, a pd.access.notice event about the subject (the notification dispatcher
// tells them; the audit log can now open the sealed entry). It returns how many.
func (s *Service) ReleaseDeferredNotices(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT jti FROM pd_tokens WHERE sealed_until > 0 AND notice_sent_at = 0 AND sealed_until <= ? ORDER BY sealed_until LIMIT 500`, store.Micros(now))
	if err != nil {
		return 0, err
	}
	var jtis []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			rows.Close()
			return 0, err
		}
		jtis = append(jtis, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, jti := range jtis {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			var subject, initiator, owner, sets, code string
			var evID, issued int64
			err := tx.QueryRowContext(ctx, `SELECT subject, initiator_bin, owner_bin, data_sets, code, event_id, issued_at FROM pd_tokens WHERE jti = ? AND notice_sent_at = 0`, jti).
				Scan(&subject, &initiator, &owner, &sets, &code, &evID, &issued)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pd_tokens SET notice_sent_at = ? WHERE jti = ?`, store.Micros(now), jti); err != nil {
				return err
			}
			payload := map[string]any{"jti": jti, "sealed_event": evID, "initiator": initiator, "owner": owner, "ground": code,
				"scope": jsonRaw(sets), "accessed_at": store.FromMicros(issued).Format(time.RFC3339)}
			_, err = tx.Emit(ctx, store.Event{Type: EvAccessNotice, Actor: actor.System.String(), Subject: subject, Payload: []byte(marshal(payload))})
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

type jsonRaw string

func (j jsonRaw) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// knownRefTx returns the reference of iin as tx sees it, or "" when Senim has no
// record of the person yet (nothing is created).
func (s *Service) knownRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error) {
	if r, ok := s.cachedRef(iin); ok {
		return r, nil
	}
	r, err := s.cfg.Citizens.CitizenRefTx(ctx, tx, iin)
	if errors.Is(err, identity.ErrNotFound) {
		return "", nil
	}
	return r, err
}
