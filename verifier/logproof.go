package verifier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// The errors of the log requirement (Config.Log).
var (
	// ErrNotLogged: Senim's log does not (yet) hold the token's issuance event, or the
	// token names none. No access without a logged token.
	ErrNotLogged = &Error{"verifier.token.not_logged", "the token's issuance is not in Senim's tamper-evident log", 403}
	// ErrLogProof: the log answered with a leaf or inclusion proof that does not lead
	// to its signed checkpoint, or with a leaf for another event. Evidence that the
	// log (or something between) misbehaves: keep the answer.
	ErrLogProof = &Error{"verifier.log.proof_invalid", "the log's inclusion proof of the token's issuance does not verify", 502}
	// ErrLogCheckpoint: the checkpoint is malformed or not signed with the configured
	// log key.
	ErrLogCheckpoint = &Error{"verifier.log.checkpoint_invalid", "the log's checkpoint is not signed with the configured log key", 502}
	// ErrLogWrongEvent: the log proves a leaf at the token's evt, but that leaf is not
	// this token's issuance: its token binding is another token's, or it has none (a
	// v1 leaf). An event id handed out again after a database rollback, or a token
	// whose issuance was lost, ends here. No access.
	ErrLogWrongEvent = &Error{"verifier.log.wrong_event", "the logged event is not this token's issuance", 403}
	// ErrLogUnavailable: the log could not be asked (network, server error).
	ErrLogUnavailable = &Error{"verifier.log.unavailable", "Senim's log is unavailable", 503}
)

// LogRequirement makes Verify refuse a token whose issuance event is not proven to
// be in Senim's tamper-evident log: "no access without a logged token". Verify asks
// GET {URL}/log/proof/event/{evt} and checks, with nothing but the configured key,
// that the checkpoint is signed by the log, that the leaf names the token's event,
// that the RFC 6962 inclusion proof leads from the leaf to the checkpoint's root, and
// that the leaf is this token's: a v2 leaf whose token line is
// SHA-256("senim.kz/log/token/v1\n" || jti). A successful proof is remembered per
// event and jti, so a token pays the network call once.
type LogRequirement struct {
	// URL is Senim's base URL, e.g. "https://senim.example.kz" (/log/... is added).
	URL string
	// VerifierKey is the log's note verifier key ("<origin>+<hash>+<key>"), as
	// GET /log/key publishes it, configured out of band: fetching it from the
	// server being checked would prove nothing.
	VerifierKey string
	// HTTPClient asks the log (nil: a client with a 10 s timeout).
	HTTPClient *http.Client
	// Wait is how long Verify waits for the sequencer to integrate a fresh issuance
	// before refusing with ErrNotLogged (default 0: ask once). The sandbox
	// sequencer integrates within about a second.
	Wait time.Duration
}

// maxProofBody bounds the log's answer: a 64 KiB leaf, 64 hashes and a checkpoint
// with cosignatures, base64-encoded in JSON.
const maxProofBody = 256 << 10

// maxLogCache bounds the remembered proofs; the cache is emptied when full.
const maxLogCache = 1 << 16

type logChecker struct {
	base   string
	key    note.Verifier
	client *http.Client
	wait   time.Duration
	mu     sync.RWMutex
	proven map[provenKey]struct{}
}

// provenKey names a proven issuance: the event and the token it binds.
type provenKey struct {
	evt int64
	jti string
}

func newLogChecker(r *LogRequirement) (*logChecker, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("verifier: Log.URL must be an http(s) URL")
	}
	key, err := note.NewVerifier(strings.TrimSpace(r.VerifierKey))
	if err != nil {
		return nil, fmt.Errorf("verifier: Log.VerifierKey: %w", err)
	}
	c := r.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	return &logChecker{base: strings.TrimRight(r.URL, "/"), key: key, client: c, wait: max(r.Wait, 0), proven: map[provenKey]struct{}{}}, nil
}

// check proves that event evt, the issuance of token jti, is in the log, waiting up
// to lc.wait for the sequencer. rule PD-6.1.10: the data owner gives no access on a
// token whose issuance was not logged.
func (lc *logChecker) check(ctx context.Context, evt int64, jti string) error {
	if evt <= 0 {
		return fail(ErrNotLogged, "the token names no issuance event (evt)")
	}
	if jti == "" {
		return fail(ErrLogWrongEvent, "the token has no jti to bind its issuance to")
	}
	key := provenKey{evt, jti}
	lc.mu.RLock()
	_, ok := lc.proven[key]
	lc.mu.RUnlock()
	if ok {
		return nil
	}
	deadline := time.Now().Add(lc.wait)
	pause := 50 * time.Millisecond
	for {
		err := lc.prove(ctx, evt, jti)
		if err == nil {
			lc.mu.Lock()
			if len(lc.proven) >= maxLogCache {
				clear(lc.proven)
			}
			lc.proven[key] = struct{}{}
			lc.mu.Unlock()
			return nil
		}
		left := time.Until(deadline)
		if !errors.Is(err, ErrNotLogged) || left <= 0 {
			return err
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %v", ErrNotLogged, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// eventProof is the JSON of GET /log/proof/event/{id}.
type eventProof struct {
	EventID    int64    `json:"event_id"`
	Index      int64    `json:"index"`
	Leaf       []byte   `json:"leaf"`
	Proof      [][]byte `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

// prove asks the log once and checks its answer.
func (lc *logChecker) prove(ctx context.Context, evt int64, jti string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lc.base+"/log/proof/event/"+strconv.FormatInt(evt, 10), nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLogUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := lc.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLogUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fail(ErrNotLogged, "the log does not hold event "+strconv.FormatInt(evt, 10)+" yet")
	case resp.StatusCode != http.StatusOK:
		return fail(ErrLogUnavailable, "the log answered "+resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProofBody+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLogUnavailable, err)
	}
	if len(body) > maxProofBody {
		return fail(ErrLogProof, "the answer is too large")
	}
	return lc.verifyProof(body, evt, jti)
}

// verifyProof checks an answer of GET /log/proof/event/{evt} for token jti with
// nothing but the configured log key.
func (lc *logChecker) verifyProof(body []byte, evt int64, jti string) error {
	var p eventProof
	if err := json.Unmarshal(body, &p); err != nil {
		return fail(ErrLogProof, "the answer is not an event proof")
	}
	size, root, err := lc.openCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return err
	}
	if p.EventID != evt {
		return fail(ErrLogProof, "the answer is about another event")
	}
	token, ok := leafEvent(p.Leaf, evt)
	if !ok {
		return fail(ErrLogProof, "the leaf does not log event "+strconv.FormatInt(evt, 10))
	}
	if !verifyInclusion(leafHash(p.Leaf), p.Index, size, p.Proof, root) {
		return fail(ErrLogProof, "the inclusion proof does not lead to the checkpoint's root")
	}
	// The leaf is in the log; now it must be this token's.
	switch {
	case token == nil:
		return fail(ErrLogWrongEvent, "the leaf of event "+strconv.FormatInt(evt, 10)+" binds no token (a v1 leaf)")
	case *token != base64Std.EncodeToString(tokenBinding(jti)):
		return fail(ErrLogWrongEvent, "event "+strconv.FormatInt(evt, 10)+" is the issuance of another token")
	}
	return nil
}

// openCheckpoint checks a C2SP signed-note checkpoint (origin, size, base64 root
// hash, then optional extension lines) signed by the log key, whose name must be
// the origin. Cosignatures of witnesses the verifier does not know are ignored.
func (lc *logChecker) openCheckpoint(signed []byte) (size int64, root []byte, err error) {
	n, err := note.Open(signed, note.VerifierList(lc.key))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrLogCheckpoint, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" || lines[0] != lc.key.Name() {
		return 0, nil, fail(ErrLogCheckpoint, "not a checkpoint of the configured log")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size <= 0 || strconv.FormatInt(size, 10) != lines[1] {
		return 0, nil, fail(ErrLogCheckpoint, "bad tree size")
	}
	root, err = base64Std.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return 0, nil, fail(ErrLogCheckpoint, "bad root hash")
	}
	return size, root, nil
}

// leafEvent reports whether a Senim log leaf, open or sealed, logs outbox event evt,
// and returns its token line's value: a v1 leaf ("senim.kz/log/leaf/v1\nevent N\n…")
// has none (nil); a v2 leaf ("senim.kz/log/leaf/v2\nevent N\ntoken B\n…") has one.
// The value is checked against the jti's binding; its format needs no other check.
func leafEvent(leaf []byte, evt int64) (token *string, ok bool) {
	ev := "\nevent " + strconv.FormatInt(evt, 10) + "\n"
	if bytes.HasPrefix(leaf, []byte("senim.kz/log/leaf/v1"+ev)) {
		return nil, true
	}
	rest, ok := bytes.CutPrefix(leaf, []byte("senim.kz/log/leaf/v2"+ev+"token "))
	if !ok {
		return nil, false
	}
	b, _, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, false
	}
	t := string(b)
	return &t, true
}

// tokenBinding is the token binding of a v2 leaf, SHA-256("senim.kz/log/token/v1\n"
// || jti) (auditlog.TokenBinding; the end-to-end test holds the two together).
func tokenBinding(jti string) []byte {
	h := sha256.Sum256([]byte("senim.kz/log/token/v1\n" + jti))
	return h[:]
}

// leafHash is the RFC 6962 leaf hash, SHA-256(0x00 || leaf).
func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// verifyInclusion checks an RFC 6962 inclusion proof of the leaf with hash leaf at
// index in the tree of size with root hash root (RFC 9162, section 2.1.3.2).
func verifyInclusion(leaf []byte, index, size int64, proof [][]byte, root []byte) bool {
	if index < 0 || index >= size || len(proof) > 64 {
		return false
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 || len(p) != sha256.Size {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && bytes.Equal(r, root)
}

var base64Std = base64.StdEncoding.Strict()
