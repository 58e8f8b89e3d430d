package admincmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The admin CLI changes the directories with the actor recorded.
func TestAdminCommand(t *testing.T) {
	url := storetest.URL(t, "sqlite")
	db := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	owner := filepath.Join(dir, "owner.json")
	os.WriteFile(owner, []byte(`{"bin":"`+binRegister+`","name":"Register","data_sets":[{"code":"identity","title":"ID"}]}`), 0o600)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Command(t.Context(), append([]string{"--database-url", url, "--as", "alice"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := run("put", "data-owner", owner); code != 0 {
		t.Fatalf("%d %s", code, e)
	}
	if code, out, e := run("list", "data-owners"); code != 0 || !strings.Contains(out, binRegister) {
		t.Fatalf("%d %s %s", code, out, e)
	}
	if code, _, _ := run("tr2", "on"); code != 0 {
		t.Fatal(code)
	}
	if code, _, _ := run("permissions", binPolice, "NOPE"); code != 1 {
		t.Errorf("unknown ground accepted: %d", code)
	}
	if code, _, _ := run("frobnicate"); code != 2 {
		t.Errorf("bad usage: %d", code)
	}
	if code, _, e := run("rotate-key"); code != 0 {
		t.Fatal(e)
	}
	// A leaked key: rotated and withdrawn from the published set, the withdrawal logged.
	code, out, e := run("rotate-key", "--compromised")
	if code != 0 || !strings.Contains(out, `"withdrawn": [`) {
		t.Fatalf("rotate-key --compromised: %d %s %s", code, out, e)
	}
	var live, gone int
	db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pd_signing_keys WHERE retired_at = 0`).Scan(&live)
	db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pd_signing_keys WHERE retired_at <> 0 AND publish_until - retired_at < 3600000000`).Scan(&gone) // withdrawn: not published for a lifetime
	if live != 1 || gone != 1 {
		t.Errorf("after rotate-key --compromised: %d keys in force, %d withdrawn; want 1 and 1", live, gone)
	}
	if code, _, e := run("rotate-key"); code != 0 { // the key in force retires, published
		t.Fatal(e)
	}
	var first string
	db.QueryRowContext(t.Context(), `SELECT kid FROM pd_signing_keys WHERE retired_at <> 0 AND publish_until - retired_at >= 3600000000`).Scan(&first)
	if code, _, e := run("withdraw-key", first); code != 0 {
		t.Errorf("withdraw-key of a retired key: %d %s", code, e)
	}
	var active string
	db.QueryRowContext(t.Context(), `SELECT kid FROM pd_signing_keys WHERE retired_at = 0`).Scan(&active)
	if code, _, e := run("withdraw-key", active); code != 1 || !strings.Contains(e, "rotate it first") {
		t.Errorf("withdraw-key of the key in force: %d %s", code, e)
	}
	if code, _, _ := run("--compromised", "tr2", "on"); code != 2 {
		t.Errorf("--compromised with another command: %d, want 2", code)
	}
	var withdrawals int
	db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'pd.key.withdrawn' AND actor = 'admin:alice'`).Scan(&withdrawals)
	if withdrawals != 2 {
		t.Errorf("%d withdrawal events by admin:alice, want 2", withdrawals)
	}
	var actor string
	db.QueryRowContext(t.Context(), `SELECT actor FROM outbox_events WHERE type = 'pd.registry.tr2.set'`).Scan(&actor)
	if actor != "admin:alice" {
		t.Errorf("actor %q", actor)
	}
}

var (
	binPolice   = mkBIN("0601", 1)
	binRegister = mkBIN("0702", 1)
)

// mkBIN completes a test BIN (type digit 9, never a real one) with its check digit.
func mkBIN(reg string, serial int) string {
	for ; ; serial++ {
		if b, ok := kzid.Complete(fmt.Sprintf("%s90%05d", reg, serial)); ok {
			return b
		}
	}
}
