package notify_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/verifycmd"
)

// rule DC-2: `senim notify verify` checks a downloaded receipt offline.
func TestVerifyCmd(t *testing.T) {
	bundle, jws, jwks, other, iinAlice, iinBob := notify.ReceiptForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	bundlePath, jwsPath := write("receipt.json", bundle), write("receipt.jws", jws)
	jwksPath, otherJWKS := write("jwks.json", jwks), write("other.json", other)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"bundle", []string{bundlePath, "--jwks", jwksPath}, 0},
		{"bare JWS", []string{jwsPath, "--jwks", jwksPath}, 0},
		{"her IIN", []string{bundlePath, "--jwks", jwksPath, "--iin", iinAlice}, 0},
		{"another IIN", []string{bundlePath, "--jwks", jwksPath, "--iin", iinBob}, 1},
		{"another key set", []string{bundlePath, "--jwks", otherJWKS}, 1},
		{"IIN without salt", []string{jwsPath, "--jwks", jwksPath, "--iin", iinAlice}, 2},
		{"no JWKS", []string{bundlePath}, 2},
		{"missing file", []string{filepath.Join(dir, "none"), "--jwks", jwksPath}, 2},
	} {
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(t.Context(), tc.args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d; %s%s", tc.name, code, tc.code, out.String(), errb.String())
		}
	}
}

// rule DC-2: `senim notify verify` verifies a receipt in whichever language the
// notice was shown, the fallback language of an English reader too; another key set
// does not.
func TestVerifyCmdEachLanguage(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		bundle, jwks, shown := notify.ReceiptInLangForTest(t, lang)
		_, _, other, _, _, _ := notify.ReceiptForTest(t)
		dir := t.TempDir()
		p, k, o := filepath.Join(dir, "receipt.json"), filepath.Join(dir, "jwks.json"), filepath.Join(dir, "other.json")
		os.WriteFile(p, bundle, 0o600)
		os.WriteFile(k, jwks, 0o600)
		os.WriteFile(o, other, 0o600)
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(t.Context(), []string{p, "--jwks", k}, &out, &errb); code != 0 {
			t.Errorf("%s reader (shown %s): exit %d; %s%s", lang, shown, code, out.String(), errb.String())
		}
		if code := verifycmd.Notify(t.Context(), []string{p, "--jwks", o}, &out, &errb); code != 1 {
			t.Errorf("%s reader, another key set: exit %d", lang, code)
		}
	}
}

// rule DC-2: with --log-key, `senim notify verify` also checks the bundle's audit-log
// proof: the receipt's notify.receipt.issued event, included in a checkpoint signed
// by that key, naming this very JWS. A forged or swapped proof, another log's key, or
// a receipt without a proof is refused.
func TestVerifyCmdLogProof(t *testing.T) {
	bundle, second, jwks, logKey, otherKey := notify.ReceiptWithLogForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	var rc, rc2 notify.Receipt
	json.Unmarshal(bundle, &rc)
	json.Unmarshal(second, &rc2)
	// Forged: the logged event claims another JWS digest (the opening then fails).
	var lg map[string]any
	json.Unmarshal(rc.Log, &lg)
	ev := lg["event"].(map[string]any)
	ev["payload"] = strings.Replace(ev["payload"].(string), `"receipt_sha256":"`, `"receipt_sha256":"A`, 1)
	forged := rc
	forged.Log, _ = json.Marshal(lg)
	// Swapped: the first receipt with the second one's (genuine) proof.
	swapped := rc
	swapped.Log = rc2.Log
	noLog := rc
	noLog.Log = nil
	enc := func(r notify.Receipt) []byte { b, _ := json.Marshal(r); return b }
	bundlePath, jwksPath := write("receipt.json", bundle), write("jwks.json", jwks)
	keyFile := write("log.key", []byte(logKey+"\n"))
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"valid proof", []string{bundlePath, "--jwks", jwksPath, "--log-key", logKey}, 0},
		{"key from a file", []string{bundlePath, "--jwks", jwksPath, "--log-key", keyFile}, 0},
		{"another log's key", []string{bundlePath, "--jwks", jwksPath, "--log-key", otherKey}, 1},
		{"forged proof", []string{write("forged.json", enc(forged)), "--jwks", jwksPath, "--log-key", logKey}, 1},
		{"another receipt's proof", []string{write("swapped.json", enc(swapped)), "--jwks", jwksPath, "--log-key", logKey}, 1},
		{"no proof", []string{write("nolog.json", enc(noLog)), "--jwks", jwksPath, "--log-key", logKey}, 1},
		{"no proof, no key", []string{write("nolog2.json", enc(noLog)), "--jwks", jwksPath}, 0},
		{"unreadable key", []string{bundlePath, "--jwks", jwksPath, "--log-key", filepath.Join(dir, "none")}, 2},
	} {
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(t.Context(), tc.args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d; %s%s", tc.name, code, tc.code, out.String(), errb.String())
		}
		if tc.code == 0 && slices.Contains(tc.args, "--log-key") && !strings.Contains(out.String(), "logged at index") {
			t.Errorf("%s: no log index in %q", tc.name, out.String())
		}
		if tc.code == 1 && !strings.Contains(errb.String(), "INVALID") {
			t.Errorf("%s: %q", tc.name, errb.String())
		}
		t.Logf("%s: %s", tc.name, strings.TrimSpace(errb.String()))
	}
}

// rule DC-2: a receipt cannot be passed off for another notice. `senim notify verify
// --notice ID` says whether the receipt is of that notice: a genuine receipt of
// another notice — valid signature, valid log proof — is invalid for this one (exit
// 1), where without the flag the command said OK and left the comparison to whoever
// read its output. An id that is no notice's is unusable (exit 2).
func TestVerifyCmdNotice(t *testing.T) {
	bundle, second, jwks, logKey, _ := notify.ReceiptWithLogForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	noticeOf := func(b []byte) string {
		var rc notify.Receipt
		json.Unmarshal(b, &rc)
		c, err := notify.VerifyReceipt(rc.JWS, jwks)
		if err != nil {
			t.Fatal(err)
		}
		return c.Notice
	}
	first, other := noticeOf(bundle), noticeOf(second)
	if first == other {
		t.Fatal("two receipts of one notice")
	}
	bundlePath, jwksPath := write("receipt.json", bundle), write("jwks.json", jwks)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"its notice", []string{bundlePath, "--jwks", jwksPath, "--notice", first}, 0, "the receipt is of the given notice"},
		{"its notice, with the log", []string{bundlePath, "--jwks", jwksPath, "--log-key", logKey, "--notice", first}, 0, "the receipt is of the given notice"},
		{"another notice", []string{bundlePath, "--jwks", jwksPath, "--notice", other}, 1, "INVALID: the receipt is of notice " + first + ", not " + other},
		{"another notice, with the log", []string{bundlePath, "--jwks", jwksPath, "--log-key", logKey, "--notice", other}, 1, "not " + other},
		{"not a notice id", []string{bundlePath, "--jwks", jwksPath, "--notice", "r_" + first[2:]}, 2, "is not a notice id"},
		{"garbage", []string{bundlePath, "--jwks", jwksPath, "--notice", "x"}, 2, "is not a notice id"},
	} {
		var out, errb bytes.Buffer
		code := verifycmd.Notify(t.Context(), tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.says) {
			t.Errorf("%s: exit %d, want %d saying %q; %s%s", tc.name, code, tc.code, tc.says, out.String(), errb.String())
		}
	}
}

// rule DC-2: `senim notify verify` verifies a genuine receipt ten years after its key
// was rotated out and left the JWK set — with the log's key, under the key the bundle
// carries, and says so; without the log's key, or with one byte of the receipt
// changed, it is invalid.
func TestVerifyCmdAfterKeyLeft(t *testing.T) {
	bundle, jwks, logKey := notify.ReceiptAfterKeyLeftForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	var rc notify.Receipt
	json.Unmarshal(bundle, &rc)
	i := strings.Index(rc.JWS, ".") + 5
	rc.JWS = rc.JWS[:i] + map[bool]string{true: "A", false: "B"}[rc.JWS[i] != 'A'] + rc.JWS[i+1:]
	changed, _ := json.Marshal(rc)
	bundlePath, jwksPath := write("receipt.json", bundle), write("jwks.json", jwks)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"with the log's key", []string{bundlePath, "--jwks", jwksPath, "--log-key", logKey}, 0, "no longer in the JWK set"},
		{"without it", []string{bundlePath, "--jwks", jwksPath}, 1, "give the log's key"},
		{"one byte changed", []string{write("changed.json", changed), "--jwks", jwksPath, "--log-key", logKey}, 1, "INVALID"},
	} {
		var out, errb bytes.Buffer
		code := verifycmd.Notify(t.Context(), tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
			t.Errorf("%s: exit %d, want %d and %q; %s%s", tc.name, code, tc.code, tc.out, out.String(), errb.String())
		}
	}
}

// rule DC-2: the bundle carries the content as it was shown, and `senim notify verify`
// prints it — only if it is the content the receipt covers: a changed letter, another
// content or the same content written in another form make the bundle invalid; a
// re-indented bundle and a bundle without content are checked as before.
func TestVerifyCmdContent(t *testing.T) {
	bundle, _, jwks, logKey, _ := notify.ReceiptWithLogForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	var rc notify.Receipt
	json.Unmarshal(bundle, &rc)
	if rc.Content == "" {
		t.Fatalf("the bundles carry no content: %s", bundle)
	}
	var shown notify.Content
	if err := json.Unmarshal([]byte(rc.Content), &shown); err != nil {
		t.Fatal(err)
	}
	enc := func(r notify.Receipt) []byte { b, _ := json.Marshal(r); return b }
	changed, swapped, reformed, none := rc, rc, rc, rc
	changed.Content = strings.Replace(rc.Content, shown.Title, shown.Title+".", 1)
	other, _ := json.Marshal(notify.Content{Lang: "en", Title: "Summons", Body: []string{"You are summoned."}})
	swapped.Content = string(other)
	reformed.Content = strings.Replace(rc.Content, `","title":`, `", "title":`, 1)
	none.Content = ""
	jwksPath := write("jwks.json", jwks)
	for _, tc := range []struct {
		name string
		file []byte
		code int
	}{
		{"as downloaded", bundle, 0},
		{"re-indented bundle", func() []byte { b, _ := json.MarshalIndent(rc, "", "\t"); return b }(), 0},
		{"a letter changed", enc(changed), 1},
		{"another content", enc(swapped), 1},
		{"the same content in another form", enc(reformed), 1},
		{"no content", enc(none), 0},
	} {
		var out, errb bytes.Buffer
		code := verifycmd.Notify(t.Context(), []string{write(strings.ReplaceAll(tc.name, " ", "_")+".json", tc.file), "--jwks", jwksPath, "--log-key", logKey}, &out, &errb)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d; %s%s", tc.name, code, tc.code, out.String(), errb.String())
			continue
		}
		printed := strings.Contains(out.String(), "content shown ("+shown.Lang+")") && strings.Contains(out.String(), shown.Title)
		if tc.code == 0 && printed != (tc.name != "no content") {
			t.Errorf("%s: content printed %v: %s", tc.name, printed, out.String())
		}
		if tc.code == 1 && !strings.Contains(errb.String(), "content") {
			t.Errorf("%s: %q does not say the content is wrong", tc.name, errb.String())
		}
	}
}
