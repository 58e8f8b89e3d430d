package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options tunes Open. The zero value is usable.
type Options struct {
	// MaxReaders is the size of the SQLite reader pool, or of the whole
	// PostgreSQL pool (readers and writers share it there; at least 2).
	// Default: max(4, GOMAXPROCS) for SQLite, 16 for PostgreSQL.
	MaxReaders int
	// BusyTimeout is SQLite's busy_timeout: how long a connection waits
	// for a lock held by another process before SQLITE_BUSY. Default 5s.
	// Ignored for PostgreSQL.
	BusyTimeout time.Duration
	// Logger receives migration and consumer messages. Default slog.Default().
	Logger *slog.Logger
	// Now stamps outbox events, cursors and idempotency keys whose time
	// the caller did not set. Default time.Now; tests inject a fixed clock.
	Now func() time.Time
	// GroupLanes is how many batches of one Group may be in their transactions at
	// once on PostgreSQL (default 1, at most MaxReaders-2 so that reads and consumers
	// keep connections). More lanes help only where the commit's latency, not the
	// CPU, bounds the rate: on the 2-core machine of docs/performance.md 4 lanes
	// made smaller batches and cost PostgreSQL 60-75 % more CPU per token. SQLite
	// has one writer: always 1 there.
	GroupLanes int
}

// DB is a handle on the Senim database. It is safe for concurrent use.
type DB struct {
	engine Engine
	writer *sql.DB // SQLite: one connection; PostgreSQL: the only pool
	reader *sql.DB // SQLite: read-only pool; PostgreSQL: == writer
	// SQLite: the connection of the background checkpointer, and its stop signal.
	ckpt     *sql.DB
	ckptStop chan struct{}
	ckptDone chan struct{}
	log      *slog.Logger
	now      func() time.Time

	// PostgreSQL advisory-lock keys, derived from the current schema so
	// that databases in different schemas do not contend.
	outboxLockKey  int64
	migrateLockKey int64
	outboxLock     bool // true only in the benchmark that measures its cost
	gapCheck       bool // false only in tests that show why it is needed
	pgConfig       *pgx.ConnConfig
	notifyChannel  string // PostgreSQL LISTEN/NOTIFY channel of this schema's outbox

	groupLanes int // batches of one Group in their transactions at once (Group)

	migrations []migration
	wake       notifier
	stmts      stmtCache // SQLite: the writer's prepared statements

	cursorsMu sync.Mutex
	cursors   map[string]*sync.Mutex // per-consumer in-process exclusion
	ensured   map[string]bool        // cursor rows known to exist
	holds     map[string]*gapHold    // PostgreSQL: where each consumer waits at a gap
}

// Open opens the database named by url and checks that it answers; it
// does not migrate (see Migrate, CheckSchema, EnsureSchema).
//
//   - "postgres://..." or "postgresql://...": PostgreSQL through pgx/v5's
//     database/sql driver. Any pgx connection parameter may be given in the
//     URL, e.g. search_path=myschema.
//   - "sqlite:PATH", "sqlite://PATH", "file:PATH" or a plain PATH: SQLite
//     at that file path (created if missing; the directory must exist).
//     The path is taken literally and may not contain '?' (there are no
//     query parameters). ":memory:" is refused: the reader pool would not
//     see the writer's data.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	db := &DB{
		log:      opts.Logger,
		now:      opts.Now,
		gapCheck: true,
		cursors:  map[string]*sync.Mutex{},
		ensured:  map[string]bool{},
		holds:    map[string]*gapHold{},
	}
	if db.log == nil {
		db.log = slog.Default()
	}
	if db.now == nil {
		db.now = time.Now
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	db.migrations = ms
	db.wake.init()

	switch {
	case url == "":
		return nil, fmt.Errorf("%w: empty", ErrInvalidURL)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		err = db.openPostgres(ctx, url, opts)
	default:
		err = db.openSQLite(ctx, url, opts)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) openPostgres(ctx context.Context, url string, opts Options) error {
	db.engine = Postgres
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may echo the URL, password included: do not wrap it.
		return fmt.Errorf("%w: cannot parse the PostgreSQL URL", ErrInvalidURL)
	}
	n := opts.MaxReaders
	if n <= 0 {
		n = 16
	}
	n = max(n, 2) // ConsumeBatch holds one connection while its fn writes on another
	pool := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(checkDurable))})
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db.writer, db.reader = pool, pool
	db.groupLanes = opts.GroupLanes
	if db.groupLanes <= 0 {
		db.groupLanes = defaultGroupLanes
	}
	db.groupLanes = max(1, min(db.groupLanes, n-2))
	var schema sql.NullString
	if err := pool.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		pool.Close()
		return fmt.Errorf("store: connect to PostgreSQL: %w", unavailable(err))
	}
	if !schema.Valid {
		pool.Close()
		return fmt.Errorf("%w: no schema on the search_path exists", ErrInvalidURL)
	}
	db.pgConfig = cfg
	db.outboxLockKey = lockKey("senim.outbox", schema.String)
	db.notifyChannel = fmt.Sprintf("senim_outbox_%016x", uint64(db.outboxLockKey))
	db.migrateLockKey = lockKey("senim.migrate", schema.String)
	return nil
}

// checkDurable refuses a PostgreSQL connection whose commits are not flushed to the
// WAL before they are acknowledged: synchronous_commit=off (the last commits vanish
// in a crash, their ids handed out again) or fsync=off. Every other
// synchronous_commit value (on, local, remote_write, remote_apply) flushes the local
// WAL at commit. It runs on every new connection, since the URL, the role, the
// database or the server can each set them.
func checkDurable(ctx context.Context, c *pgx.Conn) error {
	var syncCommit, fsync string
	err := c.QueryRow(ctx, "SELECT current_setting('synchronous_commit'), current_setting('fsync')").Scan(&syncCommit, &fsync)
	switch {
	case err != nil:
		err = fmt.Errorf("store: read PostgreSQL's durability settings: %w", err)
	case syncCommit == "off" || fsync != "on":
		err = fmt.Errorf("%w (synchronous_commit=%s, fsync=%s)", ErrNotDurable, syncCommit, fsync)
	default:
		return nil
	}
	c.Close(ctx) // pgx's connector does not close a connection its AfterConnect refused
	return err
}

// lockKey derives a 64-bit advisory-lock key from a purpose and a schema.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(schema))
	return int64(h.Sum64())
}

func (db *DB) openSQLite(ctx context.Context, url string, opts Options) error {
	db.engine = SQLite
	db.groupLanes = 1
	path := url
	for _, p := range []string{"sqlite:", "file:"} {
		if strings.HasPrefix(path, p) {
			path = strings.TrimPrefix(path, p)
			path = strings.TrimPrefix(path, "//")
			break
		}
	}
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return fmt.Errorf("%w: SQLite needs a file path (in-memory databases are not supported)", ErrInvalidURL)
	}
	if strings.Contains(path, "?") {
		return fmt.Errorf("%w: SQLite paths take no query parameters (and may not contain '?')", ErrInvalidURL)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	pragmas := "&_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	// The connections that write commit durably: in WAL mode synchronous=FULL fsyncs
	// the WAL at every commit, so a transaction whose COMMIT returned survives a power
	// cut or kernel crash (NORMAL syncs only at checkpoints and may lose the last
	// commits, with their ids). Readers write nothing and keep NORMAL.
	const durable = "&_pragma=synchronous(FULL)"
	const readers = "&_pragma=synchronous(NORMAL)"
	uri := "file:" + escapeSQLitePath(filepath.ToSlash(abs))

	// The writer first: it creates the file and switches it to WAL, which
	// read-only connections cannot do.
	// The writer checkpoints by itself only as a backstop (walBackstopPages): a
	// checkpoint inside a commit holds the single writer through the WAL and database
	// fsyncs while every write waits. checkpointLoop copies the WAL into the database
	// from its own connection instead, concurrently with the writer.
	w, err := sql.Open("sqlite", uri+"?_txlock=immediate&_pragma=journal_mode(WAL)"+pragmas+durable+
		"&_pragma=wal_autocheckpoint("+strconv.Itoa(walBackstopPages)+")")
	if err != nil {
		return fmt.Errorf("store: open SQLite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("store: open SQLite writer: %w", err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		w.Close()
		return fmt.Errorf("store: SQLite did not switch to WAL (journal_mode=%q): %v", mode, err)
	}

	n := opts.MaxReaders
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	r, err := sql.Open("sqlite", uri+"?mode=ro"+pragmas+readers+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open SQLite readers: %w", err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("store: open SQLite readers: %w", err)
	}
	c, err := sql.Open("sqlite", uri+"?"+pragmas[1:]+durable)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("store: open SQLite checkpointer: %w", err)
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxIdleTime(0)
	c.SetConnMaxLifetime(0)
	db.writer, db.reader, db.ckpt = w, r, c
	db.ckptStop, db.ckptDone = make(chan struct{}), make(chan struct{})
	go db.checkpointLoop()
	return nil
}

// walBackstopPages is the WAL size (pages) at which a commit checkpoints by itself,
// should the background checkpointer fall behind; walCheckpointEvery is how often
// that one runs.
const (
	walBackstopPages   = 20000
	walCheckpointEvery = time.Second
)

// checkpointLoop runs passive checkpoints (they neither wait for nor block readers
// and the writer) until Close.
func (db *DB) checkpointLoop() {
	defer close(db.ckptDone)
	t := time.NewTicker(walCheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.ckptStop:
			return
		case <-t.C:
		}
		if _, _, err := db.checkpoint(); err != nil {
			db.log.Warn("store: WAL checkpoint", "err", err)
		}
	}
}

// checkpoint runs one passive checkpoint and reports the WAL's size and how much of
// it was copied into the database (both in frames).
func (db *DB) checkpoint() (walFrames, copied int, err error) {
	var busy int
	err = db.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	return walFrames, copied, err
}

// Checkpoint copies what the SQLite WAL holds into the database now, as the
// background checkpointer does every second (passively: it neither waits for nor
// blocks readers and the writer, and copies what no reader still needs). The load
// generator calls it between phases, so that no phase pays for the writes of the
// one before. It does nothing on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.ckpt == nil {
		return nil
	}
	var busy, frames, copied int
	return db.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
}

// escapeSQLitePath percent-encodes the bytes that end or alter the path
// part of an SQLite URI.
func escapeSQLitePath(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")
	return r.Replace(p)
}

// Engine reports which engine the database runs on.
func (db *DB) Engine() Engine { return db.engine }

// Close closes all connections.
func (db *DB) Close() error {
	var errs []error
	if db.ckpt != nil {
		close(db.ckptStop)
		<-db.ckptDone
		errs = append(errs, db.ckpt.Close())
	}
	if db.reader != nil && db.reader != db.writer {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.closeStmts(), db.writer.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers, on the writer and the readers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", unavailable(err))
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping readers: %w", unavailable(err))
		}
	}
	return nil
}

// PoolStats describes one connection pool for metrics.
type PoolStats struct {
	// Pool is "writer" or "reader" on SQLite and "pool" on PostgreSQL,
	// where one pool serves both.
	Pool string
	sql.DBStats
}

// Stats reports the connection pools (open, in use, idle, waits) for
// the /metrics endpoint.
func (db *DB) Stats() []PoolStats {
	if db.reader == db.writer {
		return []PoolStats{{Pool: "pool", DBStats: db.writer.Stats()}}
	}
	return []PoolStats{
		{Pool: "writer", DBStats: db.writer.Stats()},
		{Pool: "reader", DBStats: db.reader.Stats()},
	}
}

// bind rewrites '?' placeholders for the engine.
func (db *DB) bind(q string) string {
	if db.engine == Postgres {
		return rebindDollar(q)
	}
	return q
}

// convertArgs turns Go bools into 0/1, the schema's boolean convention,
// so that the same call works on both engines.
func convertArgs(args []any) []any {
	var out []any
	for i, a := range args {
		if b, ok := a.(bool); ok {
			if out == nil {
				out = slices.Clone(args)
			}
			out[i] = boolInt(b)
		}
	}
	if out == nil {
		return args
	}
	return out
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// QueryContext runs a read query on the reader pool. It does not see the
// uncommitted writes of a Tx in progress: use Tx.QueryContext inside one. An error
// that says the database cannot be reached is marked ErrUnavailable.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.readStmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, convertArgs(args)...)
		return rows, unavailable(err)
	}
	rows, err := db.reader.QueryContext(ctx, db.bind(query), convertArgs(args)...)
	return rows, unavailable(err)
}

// QueryRowContext runs a read query that returns at most one row on the
// reader pool. A failure to connect surfaces from Scan marked ErrUnavailable.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, convertArgs(args)...)
	}
	return db.reader.QueryRowContext(ctx, db.bind(query), convertArgs(args)...)
}

// ExecContext runs one statement in its own write transaction (see Tx).
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.Tx(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// Micros converts t to the schema's time representation: Unix
// microseconds, UTC.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts the schema's time representation back to a UTC time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
