package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Signals tell the other processes on the same database that something changed, so
// that what waits on it there (a citizen's live inbox, say) looks again at once
// instead of at its next poll. On PostgreSQL a signal is a NOTIFY on a channel of
// this schema and topic; every process that listens receives it, the sender
// included. On SQLite, whose database one process serves, Signal does nothing and
// ListenSignals returns when ctx is done.
//
// Delivery is best effort, as with LISTEN/NOTIFY itself: a notification sent
// while a listener reconnects is lost, and a listener is told "" after every
// (re)connection to mean "look again at everything". A signal carries keys, never
// content: the receiver reads what changed from the database.

// maxSignalPayload stays under PostgreSQL's 8000-byte NOTIFY payload limit.
const maxSignalPayload = 7900

// ErrSignal is returned for a topic or key Signal cannot carry.
var ErrSignal = errors.New("store: bad signal")

// Signal tells every process listening on topic that keys changed (PostgreSQL only).
// A topic is 1 to 24 characters of a-z, 0-9 and _; a key is at most 512 bytes and
// holds no line break.
func (db *DB) Signal(ctx context.Context, topic string, keys []string) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	for _, k := range keys {
		if k == "" || len(k) > 512 || strings.ContainsAny(k, "\n\x00") {
			return fmt.Errorf("%w: key %q", ErrSignal, k)
		}
	}
	if db.engine != Postgres {
		return nil
	}
	channel := db.signalChannel(topic)
	for len(keys) > 0 {
		var b strings.Builder
		n := 0
		for n < len(keys) && (b.Len() == 0 || b.Len()+1+len(keys[n]) <= maxSignalPayload) {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(keys[n])
			n++
		}
		if _, err := db.writer.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, b.String()); err != nil {
			return fmt.Errorf("store: signal %s: %w", topic, unavailable(err))
		}
		keys = keys[n:]
	}
	return nil
}

// ListenSignals calls fn with each key signalled on topic by any process (this one
// included), and with "" after each (re)connection, until ctx is done. fn runs on the
// listening goroutine: it must not block.
func (db *DB) ListenSignals(ctx context.Context, topic string, fn func(key string)) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	if db.engine != Postgres {
		<-ctx.Done()
		return nil
	}
	db.listenChannel(ctx, db.signalChannel(topic), "signal "+topic, func(payload string) {
		if payload == "" {
			fn("")
			return
		}
		for k := range strings.SplitSeq(payload, "\n") {
			fn(k)
		}
	})
	return nil
}

func (db *DB) signalChannel(topic string) string {
	return fmt.Sprintf("senim_sig_%016x_%s", uint64(db.outboxLockKey), topic)
}

func checkTopic(topic string) error {
	if topic == "" || len(topic) > 24 {
		return fmt.Errorf("%w: topic %q", ErrSignal, topic)
	}
	for _, c := range topic {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: topic %q", ErrSignal, topic)
		}
	}
	return nil
}
