package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

func openGroupDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "g.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The caller that starts the group commit gets its answer when its own batch has
// committed, not when the queue runs dry: under steady load the queue never does,
// and the first caller of a busy period waited seconds (issue 18, tail latency).
func TestGroupAnswersEachBatch(t *testing.T) {
	started := make(chan int, 4)   // size of each batch as its write begins
	release := make(chan error, 4) // lets one write finish, with this error
	g := NewGroup(openGroupDB(t), 256, func(ctx context.Context, tx *Tx, items []int, errs []error) error {
		started <- len(items)
		return <-release
	})
	ctx := t.Context()
	first := make(chan error, 1)
	go func() { first <- g.Do(ctx, 1) }()
	if n := <-started; n != 1 {
		t.Fatalf("first batch has %d items, want 1", n)
	}
	// A second item arrives while the first batch commits.
	second := make(chan error, 1)
	go func() { second <- g.Do(ctx, 2) }()
	waitQueued(t, g, 1)
	release <- nil
	// The second batch is now being written, and does not finish until released; the
	// first caller must have its answer already.
	if n := <-started; n != 1 {
		t.Fatalf("second batch has %d items, want 1", n)
	}
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("first: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first caller waits for the next batch's commit")
	}
	boom := errors.New("boom")
	release <- boom
	if err := <-second; !errors.Is(err, boom) {
		t.Fatalf("second: %v, want %v", err, boom)
	}
	// The queue is empty: the leader has stopped, and the next caller starts another.
	third := make(chan error, 1)
	go func() { third <- g.Do(ctx, 3) }()
	<-started
	release <- nil
	if err := <-third; err != nil {
		t.Fatalf("third: %v", err)
	}
}

// Writes queued together share one transaction; a refusal refuses its own write alone,
// and the others commit; a failure fails every write of the batch and commits nothing.
func TestGroupFuncsRefusalAndFailure(t *testing.T) {
	db := openGroupDB(t)
	if err := db.Tx(t.Context(), func(tx *Tx) error {
		_, err := tx.ExecContext(t.Context(), `CREATE TABLE g (v INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	g := GroupFuncs(db, 16, func(err error) bool { return errors.Is(err, refused) })
	insert := func(v int) Write {
		return func(ctx context.Context, tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO g (v) VALUES (?)`, v)
			return err
		}
	}
	// Hold the leader in a first batch so that the next writes queue behind it.
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- g.Do(t.Context(), func(ctx context.Context, tx *Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	results := make([]chan error, 3)
	for i := range results {
		results[i] = make(chan error, 1)
	}
	go func() { results[0] <- g.Do(t.Context(), insert(1)) }()
	waitQueued(t, g, 1)
	go func() {
		results[1] <- g.Do(t.Context(), func(ctx context.Context, tx *Tx) error { return refused })
	}()
	waitQueued(t, g, 2)
	go func() { results[2] <- g.Do(t.Context(), insert(3)) }()
	waitQueued(t, g, 3)
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-results[0]; err != nil {
		t.Errorf("write 1: %v", err)
	}
	if err := <-results[1]; !errors.Is(err, refused) {
		t.Errorf("the refused write: %v", err)
	}
	if err := <-results[2]; err != nil {
		t.Errorf("write 3: %v", err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM g`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows (%v), want the 2 writes that were not refused", n, err)
	}
	// A failure: the batch's other write is not kept.
	boom := errors.New("boom")
	hold, held = make(chan struct{}), make(chan struct{})
	go func() {
		first <- g.Do(t.Context(), func(ctx context.Context, tx *Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	go func() { results[0] <- g.Do(t.Context(), insert(4)) }()
	waitQueued(t, g, 1)
	go func() {
		results[1] <- g.Do(t.Context(), func(ctx context.Context, tx *Tx) error { return boom })
	}()
	waitQueued(t, g, 2)
	close(hold)
	<-first
	if err := <-results[0]; !errors.Is(err, boom) {
		t.Errorf("the failed batch's other write: %v, want %v", err, boom)
	}
	if err := <-results[1]; !errors.Is(err, boom) {
		t.Errorf("the failing write: %v", err)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM g`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows (%v) after a failed batch, want 2", n, err)
	}
}

// A caller gone before its batch starts is left out: its write never runs.
func TestGroupSkipsGoneCallers(t *testing.T) {
	db := openGroupDB(t)
	ran := make(chan int, 4)
	hold, held := make(chan struct{}), make(chan struct{})
	g := NewGroup(db, 16, func(ctx context.Context, tx *Tx, items []int, errs []error) error {
		for _, v := range items {
			if v == 0 {
				close(held)
				<-hold
			}
			ran <- v
		}
		return nil
	})
	first := make(chan error, 1)
	go func() { first <- g.Do(t.Context(), 0) }()
	<-held
	ctx, cancel := context.WithCancel(t.Context())
	gone := make(chan error, 1)
	go func() { gone <- g.Do(ctx, 1) }()
	waitQueued(t, g, 1)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("gone caller: %v", err)
	}
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := g.Do(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	close(ran)
	var got []int
	for v := range ran {
		got = append(got, v)
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Fatalf("writes run: %v, want [0 2] (the gone caller's left out)", got)
	}
}

// waitQueued waits until n items are queued behind the batch in progress.
func waitQueued[T any](t *testing.T, g *Group[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got := len(g.pending)
		g.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("%d items never queued", n)
}
