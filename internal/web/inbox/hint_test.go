package inbox

import (
	"bytes"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"

	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/verifycmd"
	"github.com/senimkz/senim/internal/web/webtest"
)

var verifyCode = regexp.MustCompile(`<code id="receipt-verify"[^>]*>([^<]*)</code>`)

// rule DC-2: the receipt page's hint names a command that works: `senim notify verify`
// (the command cmd/senim runs as verifycmd.Notify) with the file the download saves
// and this Senim's JWK set, and run as written it verifies the downloaded receipt.
// Against another Senim's keys the same command refuses it.
func TestReceiptHintCommandWorks(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key := keySigner{priv}
	mux := http.NewServeMux()
	var jwks atomic.Pointer[[]byte]
	set := func(b []byte) { jwks.Store(&b) }
	set(key.jwks())
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { w.Write(*jwks.Load()) })
	senim := httptest.NewServer(mux)
	defer senim.Close()

	svc, err := notify.New(notify.Config{DB: storetest.Open(t), Directory: noDir{}, Organizations: noOrgs{}, Signer: key, Issuer: senim.URL})
	if err != nil {
		t.Fatal(err)
	}
	h := webtest.New(t)
	if err := Mount(h.Shell, Config{Notices: svc, StreamFor: 5 * time.Second, Poll: time.Hour, PublicURL: senim.URL}); err != nil {
		t.Fatal(err)
	}
	alice := h.Citizen(iinAlice, "Alice")
	for _, lang := range []string{"kk", "ru", "en"} {
		n := send(t, svc, alice, true)
		page := h.Post("/inbox/"+n.Ref+"/acknowledge?lang="+lang, nil, alice).Body.String()
		m := verifyCode.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s: no command in the receipt's hint:\n%s", lang, page)
		}
		args := strings.Fields(html.UnescapeString(m[1]))
		if len(args) < 4 || strings.Join(args[:3], " ") != "senim notify verify" {
			t.Fatalf("%s: the hint's command is %q", lang, args)
		}
		// Download the receipt under the name the download gives it, and run the command.
		w := h.Get("/inbox/"+n.Ref+"/receipt.json", alice)
		_, name, _ := strings.Cut(w.Header().Get("Content-Disposition"), `filename="`)
		name = strings.TrimSuffix(name, `"`)
		if name == "" || args[3] != name {
			t.Errorf("%s: the hint names the file %q, the download saves %q", lang, args[3], name)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), w.Body.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(t.Context(), args[3:], &out, &errb); code != 0 {
			t.Errorf("%s: %q exits %d: %s%s", lang, args, code, out.String(), errb.String())
		}
		// Negative: the same command against another Senim's keys.
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		set(keySigner{other}.jwks())
		if code := verifycmd.Notify(t.Context(), args[3:], &out, &errb); code != 1 {
			t.Errorf("%s: verified against another key set: exit %d", lang, code)
		}
		set(key.jwks())
	}
}
