package notify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// The facts of an automatic notice are in two parts (migration 0022): what many
// notices share — the flow, the organisations, data sets, service or legal ground,
// document, with their names and titles as the directories gave them — stored once in
// notify_facts under the SHA-256 of its JSON, and what is the event's own, stored in
// the notice's row. Under flow 2 every token's notice repeated ≈ 700 bytes of the
// first part; the narrower row is what lets the outbox consumer keep up with pd at
// full speed (docs/performance.md, issue 9).

// split returns the part of f that other notices may share and the part that is this
// event's own; mergeFacts of their JSON gives f back (TestSplitFactsRoundTrip). A field
// added to Facts is shared unless it is listed here: correct either way, but a field
// that differs from event to event belongs in own, or every notice gets a shared row
// of its own.
func (f Facts) split() (shared, own Facts) {
	own = Facts{At: f.At, ConsentID: f.ConsentID, ValidUntil: f.ValidUntil, Deferred: f.Deferred,
		Purpose: f.Purpose, Confirmation: f.Confirmation, Deadline: f.Deadline, Message: f.Message}
	shared = f
	shared.At, shared.ValidUntil, shared.Deadline = time.Time{}, time.Time{}, time.Time{}
	shared.ConsentID, shared.Purpose, shared.Confirmation = "", "", ""
	shared.Deferred, shared.Message = false, nil
	return shared, own
}

// mergeFacts reads a notice's facts: the shared part (empty for a notice that keeps
// all of them in its row), then its own over it.
func mergeFacts(f *Facts, shared, own []byte) error {
	if len(shared) > 0 {
		if err := json.Unmarshal(shared, f); err != nil {
			return err
		}
	}
	return json.Unmarshal(own, f)
}

// factsDigest names a shared part: base64url SHA-256 of its JSON.
func factsDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sharedFacts remembers which shared parts are in notify_facts already. Rows there are
// never changed or deleted, so a digest once committed stays true; the set is bounded
// and forgotten whole when full (the next batches insert again, and find the row).
type sharedFacts struct {
	mu    sync.Mutex
	known map[string]struct{}
}

// maxKnownFacts bounds sharedFacts: each combination of initiator, data owner, data
// sets and ground is one entry.
const maxKnownFacts = 8192

func (k *sharedFacts) has(d string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.known[d]
	return ok
}

// remember records digests committed by a transaction.
func (k *sharedFacts) remember(ds []string) {
	if len(ds) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.known == nil || len(k.known)+len(ds) > maxKnownFacts {
		k.known = make(map[string]struct{}, len(ds))
	}
	for _, d := range ds {
		k.known[d] = struct{}{}
	}
}

// factRows is a batch's facts as its notices store them.
type factRows struct {
	refs   []string // per notice: the digest of its shared part
	own    []string // per notice: the JSON of its own part
	fresh  []string // digests this batch inserted (or found) that were not known: remember after the commit
	bodies []string // the JSON of each fresh part
}

// prepareFacts splits the facts of ps and returns what each notice's row keeps and
// the shared parts not known to be stored. It touches no database: the consumer calls
// it before its transaction, so that the marshalling is not done while it holds
// SQLite's one writer. A shared part is marshalled once for the notices of ps with one
// shareKey (under flow 2, most of a batch: it was a sixth of the consumer's CPU).
func (s *Service) prepareFacts(ps []pending) (*factRows, error) {
	out := &factRows{refs: make([]string, len(ps)), own: make([]string, len(ps))}
	seen := map[string]bool{}
	type part struct {
		digest string
		body   []byte
	}
	made := map[string]part{} // by pending.shareKey
	for i, p := range ps {
		shared, own := p.facts.split()
		ob, err := json.Marshal(own)
		if err != nil {
			return nil, err
		}
		m, ok := made[p.shareKey]
		if !ok || p.shareKey == "" {
			if m.body, err = json.Marshal(shared); err != nil {
				return nil, err
			}
			m.digest = factsDigest(m.body)
			if p.shareKey != "" {
				made[p.shareKey] = m
			}
		}
		d, sb := m.digest, m.body
		out.refs[i], out.own[i] = d, string(ob)
		if seen[d] || s.facts.has(d) {
			continue
		}
		seen[d] = true
		out.fresh = append(out.fresh, d)
		out.bodies = append(out.bodies, string(sb))
	}
	return out, nil
}

// storeFacts inserts in tx the shared parts of fr not known to be there (a part another
// transaction stored meanwhile is left as it is).
func storeFacts(ctx context.Context, tx *store.Tx, fr *factRows) error {
	for start := 0; start < len(fr.fresh); {
		n := store.MultiRowChunk(len(fr.fresh) - start)
		args := make([]any, 0, 2*n)
		for i := start; i < start+n; i++ {
			args = append(args, fr.fresh[i], fr.bodies[i])
		}
		if _, err := tx.ExecContext(ctx, factsInsert(n), args...); err != nil {
			return fmt.Errorf("notify: shared facts: %w", err)
		}
		start += n
	}
	return nil
}

// factsInsert is the statement inserting n shared parts.
func factsInsert(n int) string {
	return store.MultiRow(`INSERT INTO notify_facts (digest, body) VALUES `, "(?, ?)", n, ` ON CONFLICT (digest) DO NOTHING`)
}
