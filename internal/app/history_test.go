package app

import (
	"bytes"
	"github.com/senimkz/senim/internal/logcmd"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The cabinet's "verify my history": each event about the citizen with a badge that
// its inclusion proof checked out, and evidence that verifies offline.
func TestHistoryVerifiesAndIsPrivate(t *testing.T) {
	a, srv := newSandbox(t, "")
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	ba, bb := newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	ba.login(alice)
	bb.login(bob)
	if _, err := a.Log.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, page := ba.get("/history?lang=en")
	if st != 200 || !strings.Contains(page, `id="history"`) || !strings.Contains(page, "You logged in") || !strings.Contains(page, "✓ verified") {
		t.Fatalf("history page: %d\n%s", st, page)
	}
	if strings.Contains(page, "✗") {
		t.Errorf("an unverified proof on a fresh log:\n%s", page)
	}
	idx := regexp.MustCompile(`/history/(\d+)/evidence.json`).FindAllStringSubmatch(page, -1)
	if len(idx) == 0 {
		t.Fatal("no evidence link")
	}
	st, bundle := ba.get("/history/" + idx[0][1] + "/evidence.json")
	if st != 200 {
		t.Fatalf("evidence: %d %s", st, bundle)
	}
	// Bob cannot fetch Alice's evidence, nor see her events.
	if st, _ := bb.get("/history/" + idx[0][1] + "/evidence.json"); st == 200 {
		t.Error("another citizen downloaded Alice's evidence")
	}
	_, bobPage := bb.get("/history")
	for _, m := range idx {
		if strings.Contains(bobPage, "/history/"+m[1]+"/") {
			t.Errorf("Alice's event %s shows in Bob's history", m[1])
		}
	}
	// Anyone can check the evidence offline against the log.
	f := filepath.Join(t.TempDir(), "evidence.json")
	os.WriteFile(f, []byte(bundle), 0o600)
	var out, errb bytes.Buffer
	if code := logcmd.VerifyCmd(t.Context(), []string{f, "--server", srv.URL}, &out, &errb); code != 0 {
		t.Errorf("senim log verify: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	// The leaves carry no personal data.
	res, err := ba.c.Get(srv.URL + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := io.ReadAll(res.Body)
	res.Body.Close()
	lines := strings.Split(string(cp), "\n")
	if len(lines) < 2 {
		t.Fatalf("checkpoint: %q", cp)
	}
	size, _ := strconv.Atoi(lines[1])
	if size == 0 || size >= 256 {
		t.Fatalf("tree size %d", size)
	}
	res, err = ba.c.Get(srv.URL + "/log/tile/entries/000.p/" + strconv.Itoa(size))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(entries, []byte("senim.kz/log/leaf/v1")) {
		t.Fatalf("entry bundle: %d %q", res.StatusCode, entries)
	}
	for _, pd := range []string{alice.IIN, alice.Name, alice.Phone, bob.IIN} {
		if bytes.Contains(entries, []byte(pd)) {
			t.Errorf("a log entry bundle carries %q", pd)
		}
	}
}
