package admincmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/store/storetest"
)

// `senim admin put organization` registers and renames an organisation from a file or
// stdin, recorded as admin:NAME; `list organizations` prints the directory; a bad
// file is refused with exit 1 and changes nothing, bad usage is exit 2.
func TestAdminOrganization(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url := storetest.URL(t, engine)
			db := storetest.OpenURL(t, url, storetest.Options(t))
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (int, string, string) {
				var out, errb bytes.Buffer
				code := Command(t.Context(), append([]string{"--database-url", url, "--as", "alice"}, args...), &out, &errb)
				return code, out.String(), errb.String()
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "bank.json")
			os.WriteFile(file, []byte(`{"bin":"`+binRegister+`","name":"Bank JSC","role":"bank",
				"names":{"kk":"«Банк» АҚ","ru":"АО «Банк»","en":"Bank JSC"},
				"information_systems":[{"code":"core","name":"Core banking"}]}`), 0o600)
			if code, out, e := run("put", "organization", file); code != 0 || !strings.Contains(out, `"name": "Bank JSC"`) {
				t.Fatalf("put from a file: %d %s %s", code, out, e)
			}

			// From stdin: a rename.
			stdin := filepath.Join(dir, "stdin.json")
			os.WriteFile(stdin, []byte(`{"bin":"`+binRegister+`","name":"New Bank JSC","role":"bank",
				"names":{"kk":"«Жаңа Банк» АҚ","ru":"АО «Новый Банк»"}}`), 0o600)
			f, err := os.Open(stdin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			saved := os.Stdin
			os.Stdin = f
			code, out, e := run("put", "organization", "-")
			os.Stdin = saved
			if code != 0 || !strings.Contains(out, "New Bank JSC") {
				t.Fatalf("put from stdin: %d %s %s", code, out, e)
			}

			code, out, e = run("list", "organizations")
			var orgs []identity.Organization
			if err := json.Unmarshal([]byte(out), &orgs); code != 0 || err != nil || len(orgs) != 1 ||
				orgs[0].Names.RU != "АО «Новый Банк»" || orgs[0].NameIn("en") != "New Bank JSC" || len(orgs[0].Systems) != 0 {
				t.Fatalf("list organizations: %d %v %s %s", code, err, out, e)
			}

			bad := filepath.Join(dir, "bad.json")
			os.WriteFile(bad, []byte(`{"bin":"`+binRegister+`","name":"Bad","role":"pirate","names":{"kk":"x","ru":"x"}}`), 0o600)
			for _, c := range []struct{ file, want string }{
				{bad, "identity.organization.invalid"},
				{filepath.Join(dir, "missing.json"), "no such file"},
			} {
				if code, _, e := run("put", "organization", c.file); code != 1 || !strings.Contains(e, c.want) {
					t.Errorf("put %s: %d %q, want 1 and %q", c.file, code, e, c.want)
				}
			}
			garbage := filepath.Join(dir, "garbage.json")
			os.WriteFile(garbage, []byte(`{"bin":`), 0o600)
			if code, _, e := run("put", "organization", garbage); code != 1 || !strings.Contains(e, "admin:") {
				t.Errorf("put of broken JSON: %d %q", code, e)
			}
			for _, args := range [][]string{{"put", "organization"}, {"list", "organisations"}, {"put", "organisation", file}} {
				if code, _, e := run(args...); code != 2 || !strings.Contains(e, "put  data-owner|service-code|ground|object|organization FILE.json") {
					t.Errorf("%v: %d %q, want 2 and the usage", args, code, e)
				}
			}

			// The example of docs/deployment.md is a valid organisation.
			doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deployment.md"))
			if err != nil {
				t.Fatal(err)
			}
			_, section, _ := strings.Cut(string(doc), "## Registering organisations")
			_, example, _ := strings.Cut(section, "```json\n")
			example, _, _ = strings.Cut(example, "```")
			if code, out, e := run("put", "organization", writeFile(t, dir, "doc.json", example)); code != 0 || !strings.Contains(out, `"role": "bank"`) {
				t.Errorf("the example of docs/deployment.md: %d %s %s", code, out, e)
			}

			var events, history int
			db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'identity.organization.set' AND actor = 'admin:alice'`).Scan(&events)
			db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pd_directory_history WHERE kind = 'organization' AND actor = 'admin:alice'`).Scan(&history)
			if events != 3 || history != 3 {
				t.Errorf("%d events, %d history rows by admin:alice; want 3 and 3", events, history)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
