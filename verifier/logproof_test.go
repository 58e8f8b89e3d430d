package verifier

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const testLogOrigin = "senim.test/log"

// fakeLog is a hand-written Senim log: leaves for events 1..n, hashed and proven with
// golang.org/x/mod/sumdb/tlog (an implementation independent of ours), served at
// /log/proof/event/{id}. mutate tampers with an answer; status, when set, is
// answered instead.
type fakeLog struct {
	t      testing.TB
	leaves [][]byte
	hashes []tlog.Hash
	signer note.Signer
	mutate func(*eventProof)
	status int
	calls  atomic.Int32
	// logged is how many of the leaves are integrated; events beyond answer 404.
	logged atomic.Int64
}

// fakeJTI is the jti of the token whose issuance is event evt in the fake log.
func fakeJTI(evt int64) string { return fmt.Sprintf("token-%d", evt) }

// fakeV1 reports whether the fake log's leaf of event evt is a v1 leaf, which binds
// no token (as before leaf v2): events 8, 18, 28, ...
func fakeV1(evt int64) bool { return evt%10 == 8 }

// leafOf is the leaf of event evt binding token jti (v2), or a v1 leaf when jti is "".
func leafOf(evt int64, sealed bool, jti string) []byte {
	head := fmt.Sprintf("senim.kz/log/leaf/v1\nevent %d\n", evt)
	if jti != "" {
		head = fmt.Sprintf("senim.kz/log/leaf/v2\nevent %d\ntoken %s\n", evt, base64.StdEncoding.EncodeToString(tokenBinding(jti)))
	}
	if sealed {
		return fmt.Appendf(nil, "%ssealed q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n", head)
	}
	return fmt.Appendf(nil, "%stime 1793491200000000\ntype pd.token.issued\nactor org:050490000012\nsubject -\ndetails -\n", head)
}

func newFakeLog(t testing.TB, n int) (*fakeLog, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, testLogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeLog{t: t, signer: s}
	for i := range n {
		evt, jti := int64(i+1), ""
		if !fakeV1(evt) {
			jti = fakeJTI(evt)
		}
		leaf := leafOf(evt, i%3 == 2, jti)
		hs, err := tlog.StoredHashes(int64(i), leaf, tlog.HashReaderFunc(f.read))
		if err != nil {
			t.Fatal(err)
		}
		f.leaves = append(f.leaves, leaf)
		f.hashes = append(f.hashes, hs...)
	}
	f.logged.Store(int64(n))
	return f, vkey
}

func (f *fakeLog) read(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = f.hashes[x]
	}
	return out, nil
}

// answer is the honest answer for event evt (index evt-1) in a tree of size.
func (f *fakeLog) answer(evt, size int64) eventProof {
	root, err := tlog.TreeHash(size, tlog.HashReaderFunc(f.read))
	if err != nil {
		f.t.Fatal(err)
	}
	rp, err := tlog.ProveRecord(size, evt-1, tlog.HashReaderFunc(f.read))
	if err != nil {
		f.t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", testLogOrigin, size, root)}, f.signer)
	if err != nil {
		f.t.Fatal(err)
	}
	p := eventProof{EventID: evt, Index: evt - 1, Leaf: f.leaves[evt-1], Checkpoint: string(signed)}
	for _, h := range rp {
		p.Proof = append(p.Proof, h[:])
	}
	return p
}

func (f *fakeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	evt, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	size := f.logged.Load()
	if err != nil || evt < 1 || evt > size {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(404)
		w.Write([]byte(`{"code":"log.entry.not_found"}`))
		return
	}
	p := f.answer(evt, size)
	if f.mutate != nil {
		f.mutate(&p)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p)
}

func serveFake(t *testing.T, f *fakeLog) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /log/proof/event/{id}", f)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// rule PD-6.1.10: with Config.Log, the data owner gives no access on a token whose
// issuance it cannot prove to be in Senim's log.
func TestLogRequirement(t *testing.T) {
	s := newSigner(t)
	otherKey := func() string {
		_, vk, _ := note.GenerateKey(rand.Reader, testLogOrigin)
		return vk
	}()
	wrongName := func() string {
		_, vk, _ := note.GenerateKey(rand.Reader, "other.test/log")
		return vk
	}()
	tests := []struct {
		name   string
		evt    int64
		mutate func(*eventProof)
		status int
		key    string // default: the fake log's key
		other  bool   // answer with the valid leaf and proof of event 6
		jti    string // the token's jti; default fakeJTI(evt), the one its leaf binds
		want   error
	}{
		{name: "logged", evt: 5},
		{name: "sealed issuance", evt: 3},
		{name: "first leaf", evt: 1},
		{name: "last leaf", evt: 37},
		// An id handed out again after a rollback: the log proves event 5, but it is the
		// issuance of another token.
		{name: "event id reused by another token", evt: 5, jti: "lost-token", want: ErrLogWrongEvent},
		{name: "sealed event of another token", evt: 3, jti: "lost-token", want: ErrLogWrongEvent},
		{name: "v1 leaf binds no token", evt: 8, want: ErrLogWrongEvent},
		{name: "sealed v1 leaf binds no token", evt: 18, want: ErrLogWrongEvent},
		{name: "token line emptied", evt: 5, mutate: func(p *eventProof) {
			p.Leaf = bytes.Replace(p.Leaf, []byte("token "), []byte("token \n"), 1)
		}, want: ErrLogProof},
		{name: "no evt claim", evt: 0, want: ErrNotLogged},
		{name: "not integrated yet", evt: 38, want: ErrNotLogged},
		{name: "another log key", evt: 5, key: otherKey, want: ErrLogCheckpoint},
		{name: "key named for another origin", evt: 5, key: wrongName, want: ErrLogCheckpoint},
		{name: "unsigned checkpoint", evt: 5, mutate: func(p *eventProof) {
			p.Checkpoint = fmt.Sprintf("%s\n37\n%s\n\n", testLogOrigin, tlog.Hash{})
		}, want: ErrLogCheckpoint},
		{name: "tampered leaf", evt: 5, mutate: func(p *eventProof) {
			p.Leaf = append([]byte(nil), p.Leaf...)
			p.Leaf[len(p.Leaf)-2] ^= 1
		}, want: ErrLogProof},
		{name: "tampered proof", evt: 5, mutate: func(p *eventProof) { p.Proof[0] = make([]byte, 32) }, want: ErrLogProof},
		{name: "shortened proof", evt: 5, mutate: func(p *eventProof) { p.Proof = p.Proof[1:] }, want: ErrLogProof},
		{name: "wrong index", evt: 5, mutate: func(p *eventProof) { p.Index++ }, want: ErrLogProof},
		{name: "another event's leaf and proof", evt: 5, other: true, want: ErrLogProof},
		{name: "answer about another event", evt: 5, mutate: func(p *eventProof) { p.EventID = 6 }, want: ErrLogProof},
		{name: "empty leaf and proof", evt: 5, mutate: func(p *eventProof) { p.Leaf = nil; p.Proof = nil }, want: ErrLogProof},
		{name: "server error", evt: 5, status: 500, want: ErrLogUnavailable},
		{name: "bad gateway", evt: 5, status: 502, want: ErrLogUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, vkey := newFakeLog(t, 37)
			if tc.other {
				// A valid leaf and proof, but of event 6: the leaf must name event 5.
				tc.mutate = func(p *eventProof) { q := f.answer(6, 37); q.EventID = 5; *p = q }
			}
			f.mutate, f.status = tc.mutate, tc.status
			srv := serveFake(t, f)
			if tc.key == "" {
				tc.key = vkey
			}
			v := newVerifier(t, s, func(c *Config) { c.Log = &LogRequirement{URL: srv.URL, VerifierKey: tc.key} })
			c := goodClaims()
			c.Event, c.ID = tc.evt, fakeJTI(tc.evt)
			if tc.jti != "" {
				c.ID = tc.jti
			}
			_, err := v.Verify(t.Context(), s.sign(c, ""), Request{Subject: c.Subject, DataSets: []string{"identity"}, ClientCert: clientCert})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			var e *Error
			if tc.want != nil && (!errors.As(err, &e) || e.Code() != tc.want.(*Error).Code()) {
				t.Errorf("code of %v, want %s", err, tc.want.(*Error).Code())
			}
		})
	}
}

func TestLogRequirementCacheWaitAndOutage(t *testing.T) {
	s := newSigner(t)
	f, vkey := newFakeLog(t, 10)
	srv := serveFake(t, f)
	v := newVerifier(t, s, func(c *Config) { c.Log = &LogRequirement{URL: srv.URL + "/", VerifierKey: vkey + "\n"} })
	c := goodClaims()
	c.Event, c.ID = 4, fakeJTI(4)
	tok := s.sign(c, "")
	req := Request{Subject: c.Subject, DataSets: []string{"identity"}, ClientCert: clientCert}
	for range 3 {
		if _, err := v.Verify(t.Context(), tok, req); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls to the log for one token, want 1 (cached)", n)
	}
	// The cache remembers the event with its token: another token naming event 4 is
	// asked about, and refused.
	other := c
	other.ID = "lost-token"
	if _, err := v.Verify(t.Context(), s.sign(other, ""), req); !errors.Is(err, ErrLogWrongEvent) {
		t.Errorf("another token with a proven event id: %v, want %v", err, ErrLogWrongEvent)
	}
	f.calls.Store(1)
	// A log outage does not refuse an already proven token, but refuses a new one.
	srv.Close()
	if _, err := v.Verify(t.Context(), tok, req); err != nil {
		t.Errorf("cached token during an outage: %v", err)
	}
	c.Event, c.ID = 5, fakeJTI(5)
	if _, err := v.Verify(t.Context(), s.sign(c, ""), req); !errors.Is(err, ErrLogUnavailable) {
		t.Errorf("new token during an outage: %v, want %v", err, ErrLogUnavailable)
	}

	// Wait: the sequencer integrates the event while Verify waits.
	f2, vkey2 := newFakeLog(t, 10)
	f2.logged.Store(9)
	srv2 := serveFake(t, f2)
	go func() {
		for f2.calls.Load() < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		f2.logged.Store(10)
	}()
	v2 := newVerifier(t, s, func(c *Config) {
		c.Log = &LogRequirement{URL: srv2.URL, VerifierKey: vkey2, Wait: 10 * time.Second}
	})
	c.Event, c.ID = 10, fakeJTI(10)
	if _, err := v2.Verify(t.Context(), s.sign(c, ""), req); err != nil {
		t.Fatalf("with Wait: %v", err)
	}
	// Without Wait, one 404 refuses.
	f2.logged.Store(9)
	v3 := newVerifier(t, s, func(c *Config) { c.Log = &LogRequirement{URL: srv2.URL, VerifierKey: vkey2} })
	if _, err := v3.Verify(t.Context(), s.sign(c, ""), req); !errors.Is(err, ErrNotLogged) {
		t.Fatalf("without Wait: %v, want %v", err, ErrNotLogged)
	}
}

// A token without a jti cannot be bound to a leaf (Verify refuses such a token
// earlier, as malformed; the log check does not rely on it).
func TestLogCheckNeedsJTI(t *testing.T) {
	f, vkey := newFakeLog(t, 10)
	srv := serveFake(t, f)
	lc, err := newLogChecker(&LogRequirement{URL: srv.URL, VerifierKey: vkey})
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.check(t.Context(), 5, ""); !errors.Is(err, ErrLogWrongEvent) {
		t.Errorf("check without jti: %v, want %v", err, ErrLogWrongEvent)
	}
	if err := lc.check(t.Context(), 5, fakeJTI(5)); err != nil {
		t.Errorf("check with the leaf's jti: %v", err)
	}
}

func TestLogRequirementConfig(t *testing.T) {
	s := newSigner(t)
	_, vkey, _ := note.GenerateKey(rand.Reader, testLogOrigin)
	for _, lr := range []LogRequirement{
		{URL: "", VerifierKey: vkey},
		{URL: "ftp://senim.test", VerifierKey: vkey},
		{URL: "https://senim.test", VerifierKey: ""},
		{URL: "https://senim.test", VerifierKey: "senim.test/log+00000000+AQ"},
	} {
		cfg := Config{Keys: StaticKeys{s.kid: &s.priv.PublicKey}, Issuer: "https://senim.test", Audience: "070290000016", Log: &lr}
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted %+v", lr)
		}
	}
}

// verifyInclusion is differential-tested against golang.org/x/mod/sumdb/tlog for
// every index of every tree up to 70 leaves, and must refuse a proof for another index.
func TestVerifyInclusionAgainstTlog(t *testing.T) {
	f, _ := newFakeLog(t, 70)
	for size := int64(1); size <= 70; size++ {
		root, _ := tlog.TreeHash(size, tlog.HashReaderFunc(f.read))
		for i := range size {
			rp, err := tlog.ProveRecord(size, i, tlog.HashReaderFunc(f.read))
			if err != nil {
				t.Fatal(err)
			}
			proof := make([][]byte, len(rp))
			for k := range rp {
				proof[k] = rp[k][:]
			}
			lh := tlog.RecordHash(f.leaves[i])
			if string(leafHash(f.leaves[i])) != string(lh[:]) {
				t.Fatal("leaf hash differs from tlog.RecordHash")
			}
			if !verifyInclusion(lh[:], i, size, proof, root[:]) {
				t.Fatalf("size %d index %d: valid proof refused", size, i)
			}
			if size > 1 && verifyInclusion(lh[:], (i+1)%size, size, proof, root[:]) {
				t.Fatalf("size %d index %d: proof accepted for index %d", size, i, (i+1)%size)
			}
			if verifyInclusion(lh[:], i, size+1, proof, root[:]) && tlog.CheckRecord(rp, size+1, root, i, lh) != nil {
				t.Fatalf("size %d index %d: accepted in size %d where tlog refuses", size, i, size+1)
			}
		}
	}
}

// FuzzLogAnswer: no answer of a (possibly hostile) log makes the check panic, and
// only the honest answer passes.
func FuzzLogAnswer(f *testing.F) {
	fl, vkey := newFakeLog(f, 12)
	honest, _ := json.Marshal(fl.answer(7, 12))
	f.Add(honest)
	f.Add([]byte(`{"event_id":7,"index":6,"leaf":"","proof":[],"checkpoint":""}`))
	f.Add([]byte(`null`))
	lc, err := newLogChecker(&LogRequirement{URL: "https://senim.test", VerifierKey: vkey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := lc.verifyProof(b, 7, fakeJTI(7)); err == nil && string(b) != string(honest) {
			var p eventProof
			if json.Unmarshal(b, &p) != nil || p.EventID != 7 {
				t.Fatalf("accepted %q", b)
			}
		}
	})
}
