package pd

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The caller that starts the group commit gets its answer when its own batch has
// committed, not when the queue runs dry: under steady load the queue never does,
// and the first caller of a busy period waited seconds (issue 18, tail latency).
func TestBatcherAnswersEachBatch(t *testing.T) {
	started := make(chan int, 4)   // size of each batch as its commit begins
	release := make(chan error, 4) // lets one commit finish, with this error
	b := &batcher{commit: func(ctx context.Context, batch []*pendingIssue) error {
		started <- len(batch)
		return <-release
	}}
	ctx := t.Context()
	first := make(chan error, 1)
	go func() { first <- b.do(ctx, &issuance{}) }()
	if n := <-started; n != 1 {
		t.Fatalf("first batch has %d issuances, want 1", n)
	}
	// A second issuance arrives while the first batch commits.
	second := make(chan error, 1)
	go func() { second <- b.do(ctx, &issuance{}) }()
	waitPending(t, b, 1)
	release <- nil
	// The second batch is now committing, and does not finish until released; the
	// first caller must have its answer already.
	if n := <-started; n != 1 {
		t.Fatalf("second batch has %d issuances, want 1", n)
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
	go func() { third <- b.do(ctx, &issuance{}) }()
	<-started
	release <- nil
	if err := <-third; err != nil {
		t.Fatalf("third: %v", err)
	}
}

// waitPending waits until n issuances are queued behind the batch in progress.
func waitPending(t *testing.T, b *batcher, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b.mu.Lock()
		got := len(b.pending)
		b.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("%d issuances never queued", n)
}
