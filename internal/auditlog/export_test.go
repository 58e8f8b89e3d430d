package auditlog

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/store"
)

// Fixtures for the external tests in cmd_test.go (package auditlog_test), which
// drive the commands of internal/logcmd against real logs.

const TestOrigin = testOrigin

func Populated(t *testing.T, db *store.DB) *Log { return populated(t, db) }

func Serve(t *testing.T, l *Log) *httptest.Server { return serve(t, l) }

func Emit(t testing.TB, db *store.DB, evs ...store.Event) []int64 { return emit(t, db, evs...) }

func SampleEvents(n, offset int) []store.Event { return sampleEvents(n, offset) }

func Get(t *testing.T, url string) (*http.Response, []byte) { return get(t, url) }

func NewTestKEK(t testing.TB) *keyring.KEK { return testKEK(t) }

// Config is the configuration the log was made with.
func (l *Log) Config() Config { return l.cfg }
