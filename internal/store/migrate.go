package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded migration file.
type migration struct {
	version int
	name    string // the file name without extension, e.g. "0001_init"
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads migrations/NNNN_name.sql from fsys. Versions must
// run 1, 2, 3, ... without gaps or duplicates, and every {{token}} must be
// known, so that a bad file fails every test rather than a deployment.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMigration, err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("%w: file name %q is not NNNN_name.sql", ErrBadMigration, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadMigration, err)
		}
		for _, eng := range []Engine{SQLite, Postgres} {
			if _, err := renderMigration(string(b), eng); err != nil {
				return nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("%w: expected version %d, found %s", ErrBadMigration, i+1, m.name)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: no migrations", ErrBadMigration)
	}
	return ms, nil
}

// migrationTokens are the engine-specific spellings in migration files.
var migrationTokens = map[string]map[Engine]string{
	"id": {
		SQLite:   "INTEGER PRIMARY KEY AUTOINCREMENT",
		Postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	},
	"blob": {
		SQLite:   "BLOB",
		Postgres: "BYTEA",
	},
	// instr(haystack, needle): the 1-based position of needle, 0 when absent.
	"instr": {
		SQLite:   "instr",
		Postgres: "strpos",
	},
	// The type a JSON TEXT column is cast to so that ->> reads a key of it:
	// CAST(payload AS {{json}}) ->> 'key' is the key's value as text on both engines
	// (SQLite reads JSON text itself; PostgreSQL's ->> needs a json value).
	"json": {
		SQLite:   "TEXT",
		Postgres: "JSONB",
	},
}

var tokenPattern = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9_]*)\s*\}\}`)

func renderMigration(src string, e Engine) (string, error) {
	var bad string
	out := tokenPattern.ReplaceAllStringFunc(src, func(tok string) string {
		name := tokenPattern.FindStringSubmatch(tok)[1]
		r, ok := migrationTokens[name][e]
		if !ok {
			bad = tok
			return tok
		}
		return r
	})
	if bad != "" {
		return "", fmt.Errorf("%w: unknown token %s", ErrBadMigration, bad)
	}
	if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
		return "", fmt.Errorf("%w: malformed {{token}}", ErrBadMigration)
	}
	return out, nil
}

// KnownVersion is the newest schema version this binary knows: the
// highest embedded migration.
func (db *DB) KnownVersion() int { return db.migrations[len(db.migrations)-1].version }

// currentVersion reads the applied schema version: 0 when the
// schema_migrations table does not exist yet.
func currentVersion(ctx context.Context, e Engine, q func(ctx context.Context, query string, args ...any) *sql.Row) (int, error) {
	var exists bool
	var err error
	if e == Postgres {
		err = q(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists)
	} else {
		err = q(ctx, "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&exists)
	}
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// SchemaVersion returns the database's schema version (0 for an empty
// database) and the newest version this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, known int, err error) {
	current, err = currentVersion(ctx, db.engine, db.QueryRowContext)
	return current, db.KnownVersion(), err
}

// CheckSchema returns nil if and only if the database has exactly the
// schema this binary knows; otherwise ErrSchemaTooNew or ErrSchemaOutdated.
// The server calls it before serving.
func (db *DB) CheckSchema(ctx context.Context) error {
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return compareVersions(cur, known)
}

func compareVersions(cur, known int) error {
	switch {
	case cur > known:
		return fmt.Errorf("%w: database at version %d, this binary knows up to %d", ErrSchemaTooNew, cur, known)
	case cur < known:
		return fmt.Errorf("%w: database at version %d, this binary needs %d", ErrSchemaOutdated, cur, known)
	}
	return nil
}

// Migrate applies the embedded migrations the database lacks, each in its
// own transaction together with its schema_migrations row, and returns how
// many it applied. It refuses with ErrSchemaTooNew, applying nothing, when
// the database has a version newer than the binary knows. Concurrent
// Migrate calls (several nodes starting at once) are safe: on PostgreSQL
// each migration transaction takes an advisory lock and re-reads the
// version; on SQLite the writer transaction is exclusive.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	known := db.KnownVersion()
	for _, m := range db.migrations {
		did := false
		err := db.Tx(ctx, func(tx *Tx) error {
			did = false
			if db.engine == Postgres {
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", db.migrateLockKey); err != nil {
					return fmt.Errorf("store: migration lock: %w", err)
				}
			}
			cur, err := currentVersion(ctx, db.engine, tx.QueryRowContext)
			if err != nil {
				return err
			}
			if cur > known {
				return compareVersions(cur, known)
			}
			if cur >= m.version {
				return nil
			}
			src, err := renderMigration(m.sql, db.engine)
			if err != nil {
				return err
			}
			// No arguments: both drivers run a multi-statement script.
			if _, err := tx.tx.ExecContext(ctx, src); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, Micros(db.now())); err != nil {
				return fmt.Errorf("store: record migration %s: %w", m.name, err)
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, err
		}
		if did {
			applied++
			db.log.InfoContext(ctx, "store: applied migration", "engine", string(db.engine), "version", m.version, "name", m.name)
		}
	}
	return applied, nil
}

// EnsureSchema is what `senim serve` calls at start: with migrate it
// applies pending migrations first; either way it then requires the
// schema to be exactly the one the binary knows (CheckSchema).
func (db *DB) EnsureSchema(ctx context.Context, migrate bool) error {
	if migrate {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	return db.CheckSchema(ctx)
}
