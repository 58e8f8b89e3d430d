package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event is one row of the transactional outbox.
type Event struct {
	// ID is assigned by Emit. Consumers receive events in increasing ID
	// order, and an event only once no transaction can still commit a lower
	// ID, so a consumer that has processed ID n has seen every event with
	// ID <= n. (On PostgreSQL IDs are drawn at insert time and may commit
	// out of order; ConsumeBatch waits at such a gap, see the package doc.)
	ID int64
	// Type names what happened, dotted lower case: "pd.token.issued".
	Type string
	// Actor says who did it: "citizen:<opaque id>", "org:<BIN>", "system",
	// "admin:<id>". Never a name or an IIN.
	Actor string
	// Subject is an optional opaque internal reference to the data
	// subject; never an IIN.
	Subject string
	// Payload is optional JSON.
	Payload json.RawMessage
	// CreatedAt defaults to the DB clock (Options.Now); stored to the
	// microsecond, UTC.
	CreatedAt time.Time
}

const (
	maxEventTypeLen  = 128
	maxEventActorLen = 256
)

func validEvent(e Event) error {
	if e.Type == "" || len(e.Type) > maxEventTypeLen {
		return fmt.Errorf("%w: type must have 1 to %d bytes", ErrInvalidEvent, maxEventTypeLen)
	}
	for i := 0; i < len(e.Type); i++ {
		c := e.Type[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return fmt.Errorf("%w: type %q must be dotted lower case", ErrInvalidEvent, e.Type)
		}
	}
	if e.Actor == "" || len(e.Actor) > maxEventActorLen {
		return fmt.Errorf("%w: actor must have 1 to %d bytes", ErrInvalidEvent, maxEventActorLen)
	}
	if len(e.Subject) > maxEventActorLen {
		return fmt.Errorf("%w: subject longer than %d bytes", ErrInvalidEvent, maxEventActorLen)
	}
	if len(e.Payload) > 0 && !json.Valid(e.Payload) {
		return fmt.Errorf("%w: payload is not JSON", ErrInvalidEvent)
	}
	return nil
}

// emitQuery is the outbox INSERT of Emit.
const emitQuery = "INSERT INTO outbox_events (type, actor, subject, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"

// emitBatchQuery is EmitBatch's one statement on PostgreSQL. The CTE draws as many
// IDs from the table's sequence as there are events, once (a CTE with a volatile
// function is evaluated once per statement, never inlined or rescanned); row_number
// over those IDs sorted gives the k-th smallest ID to the k-th event (WITH ORDINALITY
// numbers the unnested arrays in array order), whatever order nextval ran in. The
// sequence is the identity column's own, so IDs drawn here and by Emit never collide.
const emitBatchQuery = `WITH i AS (
	SELECT row_number() OVER (ORDER BY d.id) AS n, d.id
	FROM (SELECT nextval(pg_get_serial_sequence('outbox_events', 'id')) AS id FROM generate_series(1, ?)) d)
INSERT INTO outbox_events (id, type, actor, subject, payload, created_at) OVERRIDING SYSTEM VALUE
SELECT i.id, e.type, e.actor, e.subject, e.payload, e.created_at
FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[]) WITH ORDINALITY AS e(type, actor, subject, payload, created_at, n)
JOIN i ON i.n = e.n
RETURNING id`

// Emit writes e to the outbox in this transaction and returns its ID: the
// event commits or rolls back with the domain change. Consumers in this
// process are woken after the commit.
//
// On PostgreSQL the first Emit of a transaction makes sure the transaction
// has its transaction ID before it draws an event ID: consumers rely on it
// to tell when a gap in the IDs can no longer be filled (see the package
// doc). Emitting transactions do not wait for each other.
func (tx *Tx) Emit(ctx context.Context, e Event) (int64, error) {
	if err := validEvent(e); err != nil {
		return 0, err
	}
	if err := tx.beforeEmit(ctx); err != nil {
		return 0, err
	}
	payload, at := tx.emitArgs(e)
	var id int64
	if tx.db.engine == Postgres {
		// pgx prepares the statement once per connection (its statement cache); an
		// explicit Prepare would cost a round trip to prepare and one to deallocate in
		// every transaction.
		err := tx.tx.QueryRowContext(ctx, tx.db.bind(emitQuery), e.Type, e.Actor, e.Subject, payload, Micros(at)).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("store: emit %s: %w", e.Type, err)
		}
		tx.emitted = true
		return id, nil
	}
	if tx.emit == nil {
		st := tx.cachedStmt(ctx, emitQuery) // SQLite: prepared once on the writer
		var err error
		if st == nil {
			st, err = tx.tx.PrepareContext(ctx, tx.db.bind(emitQuery))
		}
		if err != nil {
			return 0, fmt.Errorf("store: emit %s: %w", e.Type, err)
		}
		tx.emit = st
	}
	if err := tx.emit.QueryRowContext(ctx, e.Type, e.Actor, e.Subject, payload, Micros(at)).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: emit %s: %w", e.Type, err)
	}
	tx.emitted = true
	return id, nil
}

// EmitBatch writes events to the outbox in this transaction, as Emit would one by one,
// and returns their IDs: ids[i] is events[i]'s, and the IDs increase with i (they need
// not be consecutive on PostgreSQL, where other transactions draw IDs at the same
// time). Every event is checked before anything is written: one invalid event fails
// the call with ErrInvalidEvent and writes none. An empty list writes nothing.
//
// On PostgreSQL the whole batch is one statement (one round trip, however many
// events) after the statement that gives the transaction its ID (as Emit does), so the
// consumers' gap rule holds unchanged. On SQLite, where a statement costs no round
// trip, it runs Emit's prepared INSERT per event.
func (tx *Tx) EmitBatch(ctx context.Context, events []Event) ([]int64, error) {
	for i, e := range events {
		if err := validEvent(e); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	if len(events) == 0 {
		return nil, nil
	}
	if tx.db.engine != Postgres {
		ids := make([]int64, len(events))
		for i, e := range events {
			id, err := tx.Emit(ctx, e)
			if err != nil {
				return nil, err
			}
			ids[i] = id
		}
		return ids, nil
	}
	if err := tx.beforeEmit(ctx); err != nil {
		return nil, err
	}
	n := len(events)
	types, actors, subjects := make([]string, n), make([]string, n), make([]string, n)
	payloads, ats := make([]*string, n), make([]int64, n)
	for i, e := range events {
		types[i], actors[i], subjects[i] = e.Type, e.Actor, e.Subject
		p, at := tx.emitArgs(e)
		if p.Valid {
			payloads[i] = &p.String
		}
		ats[i] = Micros(at)
	}
	rows, err := tx.tx.QueryContext(ctx, tx.db.bind(emitBatchQuery), n, types, actors, subjects, payloads, ats)
	if err != nil {
		return nil, fmt.Errorf("store: emit %d events: %w", n, err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: emit %d events: %w", n, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: emit %d events: %w", n, err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("store: emit %d events: %d rows inserted", n, len(ids))
	}
	// RETURNING's order is not defined; the k-th smallest ID went to events[k].
	slices.Sort(ids)
	tx.emitted = true
	return ids, nil
}

// beforeEmit runs, on PostgreSQL, once per transaction before its first event ID is
// drawn: it assigns the transaction its ID and queues the NOTIFY that wakes consumers
// in other processes at commit (and takes the outbox lock where that is on).
func (tx *Tx) beforeEmit(ctx context.Context) error {
	if tx.db.engine != Postgres || tx.locked {
		return nil
	}
	var err error
	if tx.db.outboxLock {
		_, err = tx.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1), pg_current_xact_id(), pg_notify($2, '')", tx.db.outboxLockKey, tx.db.notifyChannel)
	} else {
		_, err = tx.tx.ExecContext(ctx, "SELECT pg_current_xact_id(), pg_notify($1, '')", tx.db.notifyChannel)
	}
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	tx.locked = true
	return nil
}

// emitArgs returns e's payload as a nullable string and its creation time (the DB
// clock when e has none).
func (tx *Tx) emitArgs(e Event) (sql.NullString, time.Time) {
	at := e.CreatedAt
	if at.IsZero() {
		at = tx.db.now()
	}
	var payload sql.NullString
	if len(e.Payload) > 0 {
		payload = sql.NullString{String: string(e.Payload), Valid: true}
	}
	return payload, at
}

const (
	defaultBatch = 100
	maxBatch     = 10000
	// gapPoll is how often RunConsumer reads again while it waits at a gap.
	gapPoll = 20 * time.Millisecond
)

// ConsumeBatch delivers to fn up to max events after the cursor of the
// named consumer, in ID order, and advances the cursor past them only when
// fn returns nil. It returns how many events were delivered and
// acknowledged; 0 with a nil error means nothing was pending (or, on
// PostgreSQL, another process holds this consumer).
//
// Delivery is at least once: when fn fails, or the process dies before
// the cursor update commits, the same events come again. Consumers must be
// idempotent by Event.ID. A new consumer starts before the first event.
//
// One ConsumeBatch per consumer name runs at a time in a process. On
// PostgreSQL the cursor row is also locked (FOR UPDATE SKIP LOCKED) while
// fn runs, so workers in several processes share a consumer name safely;
// that holds one pool connection for the duration of fn. On SQLite two
// processes sharing a consumer could both deliver a batch (still at least
// once; the cursor update is a compare-and-set).
//
// fn runs outside any transaction of the store; it may use db.Tx.
func (db *DB) ConsumeBatch(ctx context.Context, consumer string, max int, fn func(ctx context.Context, events []Event) error) (n int, err error) {
	if consumer == "" {
		return 0, errors.New("store: empty consumer name")
	}
	if max <= 0 {
		max = defaultBatch
	}
	max = min(max, maxBatch)
	mu := db.consumerLock(consumer)
	mu.Lock()
	defer mu.Unlock()
	if err := db.ensureCursor(ctx, consumer); err != nil {
		return 0, err
	}
	if db.engine == Postgres {
		return db.consumePostgres(ctx, consumer, max, fn)
	}
	return db.consumeSQLite(ctx, consumer, max, fn)
}

func (db *DB) consumerLock(consumer string) *sync.Mutex {
	db.cursorsMu.Lock()
	defer db.cursorsMu.Unlock()
	mu := db.cursors[consumer]
	if mu == nil {
		mu = new(sync.Mutex)
		db.cursors[consumer] = mu
	}
	return mu
}

// ensureCursor creates the consumer's cursor row once per process.
func (db *DB) ensureCursor(ctx context.Context, consumer string) error {
	db.cursorsMu.Lock()
	ok := db.ensured[consumer]
	db.cursorsMu.Unlock()
	if ok {
		return nil
	}
	_, err := db.ExecContext(ctx,
		"INSERT INTO outbox_cursors (consumer, position, updated_at) VALUES (?, 0, ?) ON CONFLICT (consumer) DO NOTHING",
		consumer, Micros(db.now()))
	if err != nil {
		return fmt.Errorf("store: create cursor %q: %w", consumer, err)
	}
	db.cursorsMu.Lock()
	db.ensured[consumer] = true
	db.cursorsMu.Unlock()
	return nil
}

const selectEvents = "SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE id > ? ORDER BY id LIMIT ?"

type rowsQuerier func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

func readEvents(ctx context.Context, q rowsQuerier, after int64, max int) ([]Event, error) {
	rows, err := q(ctx, selectEvents, after, max)
	if err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var e Event
		var payload sql.NullString
		var at int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at); err != nil {
			return nil, fmt.Errorf("store: read events: %w", err)
		}
		if payload.Valid {
			e.Payload = json.RawMessage(payload.String)
		}
		e.CreatedAt = FromMicros(at)
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	return evs, nil
}

func (db *DB) consumeSQLite(ctx context.Context, consumer string, max int, fn func(context.Context, []Event) error) (int, error) {
	var pos int64
	if err := db.QueryRowContext(ctx, "SELECT position FROM outbox_cursors WHERE consumer = ?", consumer).Scan(&pos); err != nil {
		return 0, fmt.Errorf("store: read cursor %q: %w", consumer, err)
	}
	evs, err := readEvents(ctx, db.QueryContext, pos, max)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	last := evs[len(evs)-1].ID
	move := &cursorMove{consumer: consumer, from: pos, to: last}
	if err := fn(context.WithValue(ctx, cursorMoveKey{}, move), evs); err != nil {
		return 0, fmt.Errorf("store: consumer %q: %w", consumer, err)
	}
	if move.advanced { // in fn's own transaction (Tx.AdvanceConsumer)
		return len(evs), nil
	}
	res, err := db.ExecContext(ctx,
		"UPDATE outbox_cursors SET position = ?, updated_at = ? WHERE consumer = ? AND position = ?",
		last, Micros(db.now()), consumer, pos)
	if err != nil {
		return 0, fmt.Errorf("store: advance cursor %q: %w", consumer, err)
	}
	if k, err := res.RowsAffected(); err == nil && k == 0 {
		db.log.WarnContext(ctx, "store: cursor moved by another process", "consumer", consumer)
	}
	return len(evs), nil
}

func (db *DB) consumePostgres(ctx context.Context, consumer string, max int, fn func(context.Context, []Event) error) (n int, err error) {
	stx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin consume: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = stx.Rollback()
		}
	}()
	tx := &Tx{db: db, tx: stx}
	// The cursor is read without a lock first: locking it would give this
	// transaction its ID before the events are read, and a hold (below) needs
	// an ID assigned after that read.
	var pos int64
	if err := tx.QueryRowContext(ctx, "SELECT position FROM outbox_cursors WHERE consumer = ?", consumer).Scan(&pos); err != nil {
		return 0, fmt.Errorf("store: read cursor %q: %w", consumer, err)
	}
	snap, evs, err := readEventsPostgres(ctx, tx, pos, max)
	if err != nil {
		return 0, err
	}
	hold := db.gapHold(consumer)
	if hold != nil && hold.below <= pos {
		hold = nil // every gap it covered is behind the cursor
	}
	var passBelow int64
	if hold != nil && hold.settled(snap) {
		passBelow, hold = hold.below, nil // the gaps below hold.below that snap shows are for good
	}
	// Deliver the events that follow the cursor without a gap that might
	// still be filled.
	next := pos + 1
	for n < len(evs) && (evs[n].ID == next || evs[n].ID <= passBelow || !db.gapCheck) {
		next = evs[n].ID + 1
		n++
	}
	needHold := n < len(evs) && hold == nil
	if n == 0 && !needHold {
		db.setGapHold(consumer, hold)
		return 0, nil
	}
	// Lock the cursor. This statement's snapshot is taken after the read
	// above, and the transaction ID it assigns (the row lock needs one) after
	// that snapshot.
	var locked int64
	var snapText, xid string
	err = tx.QueryRowContext(ctx,
		"SELECT position, pg_current_snapshot()::text, pg_current_xact_id()::text FROM outbox_cursors WHERE consumer = ? FOR UPDATE SKIP LOCKED",
		consumer).Scan(&locked, &snapText, &xid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // another process is consuming
	}
	if err != nil {
		return 0, fmt.Errorf("store: lock cursor %q: %w", consumer, err)
	}
	if locked != pos {
		return 0, nil // another process moved the cursor since it was read: read again
	}
	if needHold {
		if hold, err = newGapHold(evs[len(evs)-1].ID, snapText, xid); err != nil {
			return 0, fmt.Errorf("store: consumer %q: %w", consumer, err)
		}
	}
	db.setGapHold(consumer, hold)
	if n == 0 {
		return 0, nil
	}
	evs = evs[:n]
	if err := fn(ctx, evs); err != nil {
		return 0, fmt.Errorf("store: consumer %q: %w", consumer, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE outbox_cursors SET position = ?, updated_at = ? WHERE consumer = ?",
		evs[n-1].ID, Micros(db.now()), consumer); err != nil {
		return 0, fmt.Errorf("store: advance cursor %q: %w", consumer, err)
	}
	committed = true
	if err := stx.Commit(); err != nil {
		return 0, fmt.Errorf("store: advance cursor %q: %w", consumer, err)
	}
	return n, nil
}

// readEventsPostgres reads up to max events after the cursor, in ID order,
// and the snapshot the read saw them in (one statement, one snapshot).
func readEventsPostgres(ctx context.Context, tx *Tx, after int64, max int) (pgSnapshot, []Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT s.snap, e.id, e.type, e.actor, e.subject, e.payload, e.created_at
		FROM (SELECT pg_current_snapshot()::text AS snap) s
		LEFT JOIN LATERAL (SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE id > ? ORDER BY id LIMIT ?) e ON true
		ORDER BY e.id`, after, max)
	if err != nil {
		return pgSnapshot{}, nil, fmt.Errorf("store: read events: %w", err)
	}
	defer rows.Close()
	var snapText string
	var evs []Event
	for rows.Next() {
		var id, at sql.NullInt64
		var typ, actor, subject, payload sql.NullString
		if err := rows.Scan(&snapText, &id, &typ, &actor, &subject, &payload, &at); err != nil {
			return pgSnapshot{}, nil, fmt.Errorf("store: read events: %w", err)
		}
		if !id.Valid {
			continue // no event: the row only carries the snapshot
		}
		e := Event{ID: id.Int64, Type: typ.String, Actor: actor.String, Subject: subject.String, CreatedAt: FromMicros(at.Int64)}
		if payload.Valid {
			e.Payload = json.RawMessage(payload.String)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return pgSnapshot{}, nil, fmt.Errorf("store: read events: %w", err)
	}
	snap, err := parseSnapshot(snapText)
	if err != nil {
		return pgSnapshot{}, nil, fmt.Errorf("store: read events: %w", err)
	}
	return snap, evs, nil
}

// pgSnapshot is a PostgreSQL snapshot: transactions below xmin had ended,
// those in xip and at or above xmax were in progress (or not started).
type pgSnapshot struct {
	xmin, xmax uint64
	xip        []uint64
}

// parseSnapshot parses pg_snapshot's text form "xmin:xmax:xip,xip,...".
func parseSnapshot(s string) (pgSnapshot, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return pgSnapshot{}, fmt.Errorf("malformed snapshot %q", s)
	}
	var snap pgSnapshot
	var err1, err2 error
	snap.xmin, err1 = strconv.ParseUint(parts[0], 10, 64)
	snap.xmax, err2 = strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return pgSnapshot{}, fmt.Errorf("malformed snapshot %q", s)
	}
	if parts[2] != "" {
		for _, f := range strings.Split(parts[2], ",") {
			x, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return pgSnapshot{}, fmt.Errorf("malformed snapshot %q", s)
			}
			snap.xip = append(snap.xip, x)
		}
	}
	return snap, nil
}

// A gapHold is what a PostgreSQL consumer remembers about the gaps it found
// below an event ID: the transactions that might still fill them. Every
// transaction that drew an ID below below did so before the transaction
// of event below committed, so before the consumer read it, and (Emit)
// had its transaction ID by then. If it had not ended when the consumer
// read, its ID is in xip, or in [from, to): from is the snapshot's xmax
// (the first ID the snapshot does not list) and to the consumer's own
// transaction ID, assigned after the snapshot was taken.
type gapHold struct {
	below    int64
	xip      []uint64
	from, to uint64
}

func newGapHold(below int64, snapText, xid string) (*gapHold, error) {
	snap, err := parseSnapshot(snapText)
	if err != nil {
		return nil, err
	}
	to, err := strconv.ParseUint(xid, 10, 64)
	if err != nil || to < snap.xmax {
		return nil, fmt.Errorf("unexpected transaction ID %q after snapshot %q", xid, snapText)
	}
	return &gapHold{below: below, xip: snap.xip, from: snap.xmax, to: to}, nil
}

// settled reports whether every transaction of h had ended at snapshot s:
// then each ID below h.below that s does not show will never appear.
// (pg_xact_status would not do: the commit log says "committed" a moment
// before a transaction becomes visible to new snapshots.)
func (h *gapHold) settled(s pgSnapshot) bool {
	if s.xmax < h.to {
		return false // some ID in [from, to) counts as in progress at s
	}
	for _, x := range s.xip {
		if x >= h.from && x < h.to || slices.Contains(h.xip, x) {
			return false
		}
	}
	return true
}

func (db *DB) gapHold(consumer string) *gapHold {
	db.cursorsMu.Lock()
	defer db.cursorsMu.Unlock()
	return db.holds[consumer]
}

func (db *DB) setGapHold(consumer string, h *gapHold) {
	db.cursorsMu.Lock()
	defer db.cursorsMu.Unlock()
	if h == nil {
		delete(db.holds, consumer)
	} else {
		db.holds[consumer] = h
	}
}

// RunConsumer calls ConsumeBatch until ctx is done. After a full batch it
// goes on at once; otherwise it waits for a commit with events or for
// interval (default 1s). Commits in this process always wake it; on
// PostgreSQL, commits in other processes wake it too, through
// LISTEN/NOTIFY on a dedicated connection (reconnected with backoff; the
// interval poll covers the gaps). On SQLite, events written by another
// process wait for the poll. When fn fails it logs, waits (doubling from
// interval up to a minute) and retries the same events. It returns nil
// when ctx is done.
func (db *DB) RunConsumer(ctx context.Context, consumer string, batch int, interval time.Duration, fn func(ctx context.Context, events []Event) error) error {
	if interval <= 0 {
		interval = time.Second
	}
	if db.engine == Postgres {
		lctx, stop := context.WithCancel(ctx)
		defer stop()
		go db.listen(lctx)
	}
	if batch <= 0 {
		batch = defaultBatch
	}
	batch = min(batch, maxBatch)
	failures := 0
	for {
		wake := db.wake.wait() // before reading, so no commit is missed
		n, err := db.ConsumeBatch(ctx, consumer, batch, fn)
		if ctx.Err() != nil {
			return nil
		}
		wait := interval
		switch {
		case err != nil:
			failures++
			wait = min(interval<<min(failures-1, 16), time.Minute)
			db.log.WarnContext(ctx, "store: outbox consumer failed", "consumer", consumer, "failures", failures, "retry_in", wait, "err", err)
			wake = nil // back off even if events arrive
		case n == batch:
			failures = 0
			continue
		default:
			failures = 0
			if db.gapHold(consumer) != nil {
				// Waiting at a gap: a rollback sends no notification.
				wait = min(wait, gapPoll)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// ConsumerPosition returns the consumer's cursor (0 if it never ran) and
// the newest event ID, for lag metrics.
func (db *DB) ConsumerPosition(ctx context.Context, consumer string) (position, head int64, err error) {
	err = db.QueryRowContext(ctx,
		"SELECT COALESCE((SELECT position FROM outbox_cursors WHERE consumer = ?), 0), COALESCE((SELECT MAX(id) FROM outbox_events), 0)",
		consumer).Scan(&position, &head)
	if err != nil {
		return 0, 0, fmt.Errorf("store: consumer position: %w", err)
	}
	return position, head, nil
}

// PruneEvents deletes events created before the given time that every
// consumer with a cursor has processed, and returns how many. A consumer
// that has never run has no cursor and does not hold events back: start
// consumers before pruning. IDs are never reused after pruning.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.ExecContext(ctx,
		"DELETE FROM outbox_events WHERE created_at < ? AND id <= (SELECT COALESCE(MIN(position), 0) FROM outbox_cursors)",
		Micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune events: %w", err)
	}
	return res.RowsAffected()
}

// listen turns PostgreSQL notifications of outbox commits into local
// wake-ups until ctx is done.
func (db *DB) listen(ctx context.Context) {
	db.listenChannel(ctx, db.notifyChannel, "outbox", func(string) { db.wake.broadcast() })
}

// listenChannel calls onNotify with the payload of every notification on channel, on
// a dedicated connection, until ctx is done; a lost connection is dialled again with
// backoff. onNotify is also called with "" after each (re)connection, since
// notifications may have been missed while not listening.
func (db *DB) listenChannel(ctx context.Context, channel, what string, onNotify func(payload string)) {
	backoff := time.Second
	for {
		err := db.listenOnce(ctx, channel, onNotify)
		if ctx.Err() != nil {
			return
		}
		db.log.WarnContext(ctx, "store: LISTEN connection lost; polling until it is back", "channel", what, "retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, channel string, onNotify func(payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	onNotify("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onNotify(n.Payload)
	}
}
