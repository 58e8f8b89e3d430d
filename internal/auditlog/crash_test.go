package auditlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/senimkz/senim/internal/store"
)

const crashChildEnv = "SENIM_AUDITLOG_CRASH_CHILD"

// TestMain lets the crash test re-execute this binary as the process it kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

func openCrashDB(ctx context.Context, dir string) (*store.DB, *Log, error) {
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "senim.db"), store.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, nil, err
	}
	s, v, err := LoadOrCreateSigner(filepath.Join(dir, "log.key"), testOrigin)
	if err != nil {
		return nil, nil, err
	}
	l, err := New(ctx, Config{DB: db, Signer: s, Verifier: v, Origin: testOrigin, BatchMax: 500,
		Interval: 5 * time.Millisecond, Now: func() time.Time { return testNow }})
	return db, l, err
}

// crashChild emits events in small transactions while its sequencer runs, and
// prints the ID of every event whose transaction committed, until it is killed.
func crashChild(dir string) int {
	ctx := context.Background()
	db, l, err := openCrashDB(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	go l.Run(ctx)
	out := bufio.NewWriter(os.Stdout)
	for k := 0; ; k++ {
		var ids []int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			ids = ids[:0]
			for _, e := range sampleEvents(1+k%13, k) {
				id, err := tx.Emit(ctx, e)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		for _, id := range ids {
			fmt.Fprintf(out, "committed %d\n", id)
		}
		out.Flush()
	}
}

// TestCrash kills a process that emits and sequences events under load, twice,
// then checks the log: consistent with its signed checkpoint, every event the
// child saw committed is in it exactly once, and nothing else.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	committed := map[int64]bool{}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		seen := 0
		deadline := time.Now().Add(20 * time.Second)
		for sc.Scan() {
			id, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "committed "), 10, 64)
			if err != nil {
				t.Fatalf("child said %q", sc.Text())
			}
			committed[id] = true
			// Kill at a different point of the load each round.
			if seen++; seen >= 3000+round*1700 || time.Now().After(deadline) {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() { // IDs printed before the kill landed are committed too
			if id, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "committed "), 10, 64); err == nil {
				committed[id] = true
			}
		}
		cmd.Wait()
		if seen == 0 {
			t.Fatalf("round %d: the child committed nothing", round)
		}
	}
	ctx := t.Context()
	db, l, err := openCrashDB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _ := l.TreeSize(ctx)
	if _, err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	size, _ := l.TreeSize(ctx)
	var events int64
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox_events").Scan(&events)
	if size != events || int64(len(committed)) > events {
		t.Fatalf("tree size %d, %d events in the outbox, %d reported committed", size, events, len(committed))
	}
	for id := range committed {
		if _, err := l.IndexOfEvent(ctx, id); err != nil {
			t.Fatalf("acknowledged event %d is not in the log: %v", id, err)
		}
	}
	// Leaves log strictly increasing event IDs (no duplicate), and the tiles give
	// the signed root (checked by x/mod/sumdb/tlog).
	last := int64(0)
	for i := int64(0); i < size; i++ {
		leaf, err := l.Leaf(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := ParseLeaf(leaf)
		if err != nil || pl.EventID <= last {
			t.Fatalf("leaf %d: event %d after %d (%v)", i, pl.EventID, last, err)
		}
		last = pl.EventID
	}
	signed, _ := l.LatestCheckpoint(ctx)
	cp, _, err := OpenCheckpoint(signed, l.cfg.Verifier)
	if err != nil || cp.Size != size {
		t.Fatalf("checkpoint: %v, size %d vs %d", err, cp.Size, size)
	}
	th, err := tlog.TreeHash(cp.Size, tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: toHash(cp.Hash)}, tileReader{ctx, l}))
	if err != nil || th != toHash(cp.Hash) {
		t.Fatalf("tree hash after crashes: %v", err)
	}
	t.Logf("%d events acknowledged across 3 kills; log size %d after restart (%d before the catch-up)", len(committed), size, before)
}
