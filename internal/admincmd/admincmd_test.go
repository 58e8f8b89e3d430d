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
