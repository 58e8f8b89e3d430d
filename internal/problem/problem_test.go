package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

type thing struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Inner struct {
		N int `json:"n"`
	} `json:"inner"`
	Data  []byte   `json:"data"`
	Files [][]byte `json:"files"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, ct, body string
		status         int
		code, field    string
	}{
		{"ok", "application/json", `{"name":"x","count":2}`, 0, "", ""},
		{"ok with charset", "application/json; charset=utf-8", `{"name":"x"}`, 0, "", ""},
		{"ok +json type", "application/merge-patch+json", `{"name":"x"}`, 0, "", ""},
		{"ok trailing white space", "application/json", "{\"name\":\"x\"}\n \t", 0, "", ""},
		{"no content type", "", `{"name":"x"}`, 415, "request.unsupported_media_type", ""},
		{"text/plain", "text/plain", `{"name":"x"}`, 415, "request.unsupported_media_type", ""},
		{"form", "application/x-www-form-urlencoded", `name=x`, 415, "request.unsupported_media_type", ""},
		{"bad media type", "application/json; =", `{}`, 415, "request.unsupported_media_type", ""},
		{"text/+json is not JSON", "text/x+json", `{}`, 415, "request.unsupported_media_type", ""},
		{"trailing object", "application/json", `{"name":"x"} {}`, 400, "request.trailing_data", ""},
		{"trailing garbage", "application/json", `{"name":"x"}garbage`, 400, "request.trailing_data", ""},
		{"unknown field", "application/json", `{"nmae":"x"}`, 400, "request.unknown_field", "nmae"},
		{"wrong type", "application/json", `{"count":"x"}`, 400, "request.field_type", "count"},
		{"wrong nested type", "application/json", `{"inner":{"n":"x"}}`, 400, "request.field_type", "inner.n"},
		{"ok base64", "application/json", `{"data":"AAEC","files":["AA=="]}`, 0, "", ""},
		{"bad base64", "application/json", `{"data":"%%%"}`, 400, "request.invalid_base64", "data"},
		{"unpadded base64", "application/json", `{"data":"AA"}`, 400, "request.invalid_base64", "data"},
		{"bad base64 in a list", "application/json", `{"files":["AA==","!"]}`, 400, "request.invalid_base64", "files.1"},
		{"syntax", "application/json", `{"name":`, 400, "request.malformed_json", ""},
		{"empty", "application/json", ``, 400, "request.malformed_json", ""},
		{"array", "application/json", `[]`, 400, "request.malformed_json", ""},
		{"null", "application/json", `null`, 400, "request.malformed_json", ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "request.too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var v thing
			err := DecodeJSON(httptest.NewRecorder(), r, 64, &v)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("DecodeJSON = %v", err)
				}
				return
			}
			p := From(err)
			if p.Status != tt.status || p.Code != tt.code {
				t.Fatalf("DecodeJSON = %d %s (%v), want %d %s", p.Status, p.Code, err, tt.status, tt.code)
			}
			got, _ := p.Extra["field"].(string)
			if tt.code == "request.invalid_base64" && got == "(body)" && strings.HasPrefix(runtime.Version(), "go1.26") {
				return // encoding/json names the member of a Base64 error from Go 1.27 (go.mod's toolchain) on
			}
			if got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
		})
	}
}

type unavailableErr struct{}

func (unavailableErr) Error() string {
	return "store: database unavailable: dial tcp 10.0.0.7:5432: connection refused"
}
func (unavailableErr) Unavailable() bool { return true }

type availableErr struct{ unavailableErr }

func (availableErr) Unavailable() bool { return false }

var errDomain = New(http.StatusConflict, "pd.thing.conflict", "Conflict")

func TestFrom(t *testing.T) {
	secret := "pq: relation \"secret_table\" at 10.0.0.7"
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"problem", errDomain.WithDetail("safe"), 409, "pd.thing.conflict"},
		{"wrapped problem", fmt.Errorf("pd: put thing %s: %w", secret, errDomain), 409, "pd.thing.conflict"},
		{"plain error", errors.New(secret), 500, "internal"},
		{"wrapped plain error", fmt.Errorf("pd: %s: %w", secret, errors.New("x")), 500, "internal"},
		{"unavailable", fmt.Errorf("pd: load %s: %w", secret, unavailableErr{}), 503, "http.unavailable"},
		{"unavailable in a join", errors.Join(errors.New(secret), unavailableErr{}), 503, "http.unavailable"},
		{"Unavailable() false", fmt.Errorf("x: %w", availableErr{}), 500, "internal"},
		{"internal problem with an unavailable cause", Internal.WithCause(unavailableErr{}), 503, "http.unavailable"},
		{"4xx problem with an unavailable cause stays", errDomain.WithCause(unavailableErr{}), 409, "pd.thing.conflict"},
		{"deadline", fmt.Errorf("acquire: %w", context.DeadlineExceeded), 503, "http.unavailable"},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), 499, "http.canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := From(tt.err)
			if p.Status != tt.status || p.Code != tt.code {
				t.Fatalf("From = %d %s, want %d %s", p.Status, p.Code, tt.status, tt.code)
			}
			if tt.status == 499 {
				return
			}
			rec := httptest.NewRecorder()
			Write(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != ContentType {
				t.Errorf("Write: %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "10.0.0.7") {
				t.Errorf("internal text reached the client: %s", rec.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["code"] != tt.code {
				t.Errorf("body %s", rec.Body)
			}
			if ra := rec.Header().Get("Retry-After"); (tt.status == 503) != (ra != "") {
				t.Errorf("status %d with Retry-After %q", tt.status, ra)
			}
		})
	}
}

// WriteReplay writes a stored answer as WriteJSON wrote the first one: headers, status
// and body (the final newline json.Marshal leaves out included); WriteJSON answers are
// no-store unless the handler chose a cache policy.
func TestWriteReplay(t *testing.T) {
	v := map[string]string{"id": "c_1", "note": "<b>"}
	first := httptest.NewRecorder()
	first.Header().Set("Location", "/v1/things/c_1")
	WriteJSON(first, http.StatusCreated, v)
	stored, _ := json.Marshal(v)
	replay := httptest.NewRecorder()
	if err := WriteReplay(replay, http.StatusCreated, "application/json", stored, "/v1/things/c_1"); err != nil {
		t.Fatal(err)
	}
	if first.Body.String() != replay.Body.String() || first.Code != replay.Code {
		t.Errorf("replay %d %q, first %d %q", replay.Code, replay.Body, first.Code, first.Body)
	}
	for _, h := range []string{"Content-Type", "Location", "X-Content-Type-Options", "Cache-Control"} {
		if f, r := first.Header().Get(h), replay.Header().Get(h); f != r || f == "" {
			t.Errorf("%s: replay %q, first %q", h, r, f)
		}
	}
	if first.Header().Get("Cache-Control") != "no-store" || replay.Header().Get(ReplayedHeader) != "true" {
		t.Errorf("headers: first %v, replay %v", first.Header(), replay.Header())
	}
	cached := httptest.NewRecorder()
	cached.Header().Set("Cache-Control", "public, max-age=60")
	WriteJSON(cached, http.StatusOK, v)
	if got := cached.Header().Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("a handler's own Cache-Control was replaced: %q", got)
	}
}
