package app

import (
	"net/http"
	"strings"
	"testing"
)

// The sandbox register's source endpoint and the documents API answer only an
// authenticated information system: anonymous calls get 401 and nothing else.
func TestDocumentsEndpointsNeedAnOrganization(t *testing.T) {
	a, srv := newSandbox(t, "")
	iin := a.Pop.Citizens[0].IIN
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/sandbox/refdata/v1/documents", `{"kind":"identity_card","iin":"` + iin + `"}`},
		{"POST", "/v1/documents/redeem", `{"code":"ABCDEFGHJK"}`},
		{"GET", "/v1/documents/views", ""},
		{"GET", "/v1/documents/views/v_AAAAAAAAAAAAAAAAAAAAAA/information", ""},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := res.Body.Read(buf)
		b.Write(buf[:n])
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || strings.Contains(b.String(), iin) {
			t.Errorf("%s %s anonymously: %d %s", c.method, c.path, res.StatusCode, b.String())
		}
	}
}
