package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func httpRequest(t *testing.T) *http.Request {
	t.Helper()
	return httptest.NewRequest("GET", "/", nil)
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}
