package store

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// The background checkpointer's one step copies the whole WAL into the database
// without the writer's help, and Close stops its loop.
func TestSQLiteBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		err := db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.Emit(ctx, Event{Type: "test.checkpoint", Actor: "system"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The checkpointer writes the database file too: it runs with synchronous=FULL
	// like the writer (TestSQLiteSettings).
	var sync int
	if err := db.ckpt.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("checkpointer PRAGMA synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	frames, copied, err := db.checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if frames == 0 || copied != frames {
		t.Errorf("checkpoint copied %d of %d WAL frames; the writer must not be left to do it", copied, frames)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-db.ckptDone:
	default:
		t.Error("Close returned while the checkpoint loop still runs")
	}
}

// Checkpoint copies the WAL into the database file at once (the load generator calls
// it between phases): a reader of the file alone, which ignores the WAL, sees every
// committed event afterwards.
func TestSQLiteCheckpointNow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, path, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	fileOnly := func() int {
		t.Helper()
		f, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro&immutable=1")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var n int
		if err := f.QueryRow("SELECT COUNT(*) FROM outbox_events WHERE type = 'test.checkpoint'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err = db.Tx(ctx, func(tx *Tx) error {
		for range 50 {
			if _, err := tx.Emit(ctx, Event{Type: "test.checkpoint", Actor: "system"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := fileOnly() // 0 unless the background checkpointer ran in between
	if err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fileOnly(); n != 50 {
		t.Errorf("after Checkpoint the database file holds %d of 50 events (before: %d)", n, before)
	}
}
