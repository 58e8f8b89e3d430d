package loadgen

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/pd/pdtest"
	"github.com/senimkz/senim/internal/store/storetest"
)

// A remote run drives a running sandbox, round-robin over the URLs it is given,
// with signed requests; anything else is refused before any load.
func TestRunRemote(t *testing.T) {
	sb := pdtest.Start(t, storetest.Open(t), time.Now)
	r, err := RunRemote(t.Context(), Config{Alg: ca.P256, Duration: 500 * time.Millisecond, Concurrency: 4}, []string{sb.URL, sb.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Errors != 0 || r.Rate <= 0 || !strings.Contains(r.Engine, "2 server(s)") {
		t.Fatalf("remote run: %v", r)
	}
	t.Log(r)

	notSandbox := httptest.NewServer(http.NotFoundHandler())
	defer notSandbox.Close()
	for _, tc := range []struct {
		cfg  Config
		urls []string
		want string
	}{
		{Config{Duration: time.Second}, []string{notSandbox.URL}, "not a sandbox"},
		{Config{Duration: time.Second}, []string{"ftp://example"}, "not an http(s) URL"},
		{Config{Duration: time.Second}, nil, "no server URL"},
		{Config{Duration: MaxRemoteDuration + time.Second}, []string{sb.URL}, "at most"},
	} {
		_, err := RunRemote(t.Context(), tc.cfg, tc.urls)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want %q", tc.cfg.Duration, tc.urls, err, tc.want)
		}
	}
	if _, err := RunRemote(t.Context(), Config{Duration: time.Second}, []string{notSandbox.URL}); !errors.Is(err, ErrNotSandbox) {
		t.Errorf("not a sandbox: %v, want ErrNotSandbox", err)
	}
}
