package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Signal refuses what it cannot carry, on every engine, and sends nothing then.
func TestSignalRefusesBadInput(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			db := storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t))
			for _, tc := range []struct {
				topic string
				keys  []string
			}{
				{"", []string{"a"}},
				{"Notice", []string{"a"}},
				{"no-tice", []string{"a"}},
				{strings.Repeat("a", 25), []string{"a"}},
				{"notice", []string{""}},
				{"notice", []string{"a\nb"}},
				{"notice", []string{"a\x00"}},
				{"notice", []string{strings.Repeat("k", 513)}},
			} {
				if err := db.Signal(t.Context(), tc.topic, tc.keys); !errors.Is(err, store.ErrSignal) {
					t.Errorf("Signal(%q, %q) = %v, want ErrSignal", tc.topic, tc.keys, err)
				}
			}
			if err := db.ListenSignals(t.Context(), "Bad", func(string) {}); !errors.Is(err, store.ErrSignal) {
				t.Errorf("ListenSignals with a bad topic: %v", err)
			}
			if err := db.Signal(t.Context(), "notice", nil); err != nil {
				t.Errorf("no keys: %v", err)
			}
		})
	}
}

// On SQLite (one process) a signal goes nowhere, and a listener returns when its
// context ends.
func TestSignalSQLite(t *testing.T) {
	db := storetest.OpenURL(t, storetest.URL(t, store.SQLite), storetest.Options(t))
	if err := db.Signal(t.Context(), "notice", []string{"citizen:1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := db.ListenSignals(ctx, "notice", func(k string) { t.Errorf("got %q", k) }); err != nil {
		t.Fatal(err)
	}
}

// Two processes on one PostgreSQL database: what one signals, the other hears, every
// key once and only on its topic, across several NOTIFY payloads.
func TestSignalAcrossProcesses(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: signals cross processes on PostgreSQL only")
	}
	url := storetest.URL(t, store.Postgres)
	a := storetest.OpenURL(t, url, storetest.Options(t))
	b := storetest.OpenURL(t, url, storetest.Options(t))
	ctx, cancel := context.WithCancel(t.Context())
	var (
		mu        sync.Mutex
		got       []string
		connected = make(chan struct{}, 4)
		other     []string
	)
	var wg sync.WaitGroup
	wg.Go(func() {
		b.ListenSignals(ctx, "notice", func(k string) {
			if k == "" {
				connected <- struct{}{}
				return
			}
			mu.Lock()
			got = append(got, k)
			mu.Unlock()
		})
	})
	wg.Go(func() {
		b.ListenSignals(ctx, "other", func(k string) {
			if k != "" {
				mu.Lock()
				other = append(other, k)
				mu.Unlock()
			}
		})
	})
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect")
	}
	time.Sleep(100 * time.Millisecond) // the "other" listener connects on its own
	// 3,000 keys of about 14 bytes: several payloads of at most 7,900 bytes.
	var keys []string
	for i := range 3000 {
		keys = append(keys, fmt.Sprintf("citizen:%06d", i))
	}
	if err := a.Signal(t.Context(), "notice", keys); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(keys) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // anything extra would arrive now
	cancel()
	wg.Wait()
	slices.Sort(got)
	if !slices.Equal(got, keys) {
		t.Fatalf("heard %d keys, want the %d sent, each once", len(got), len(keys))
	}
	if len(other) != 0 {
		t.Fatalf("a listener on another topic heard %d keys", len(other))
	}
}
