package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// An initiator acts on a problem's extension members (the field it got wrong, the
// archive's cause, the SMS attempts left) and on Retry-After; the client must hand them
// over, not only the code.
func TestErrorCarriesTheProblemsMembers(t *testing.T) {
	cases := []struct {
		name, body, retry string
		status            int
		check             func(*testing.T, *Error)
	}{
		{"field", `{"type":"urn:senim:problem:request.invalid_field","title":"A field is invalid","status":400,"code":"request.invalid_field","field":"not_after"}`, "", 400,
			func(t *testing.T, e *Error) {
				if e.Field != "not_after" || e.Type != "urn:senim:problem:request.invalid_field" || e.AttemptsLeft != nil {
					t.Errorf("%+v", e)
				}
			}},
		{"cause", `{"title":"The signature does not verify","status":422,"code":"archive.signature.invalid","cause":"eds.signature.invalid"}`, "", 422,
			func(t *testing.T, e *Error) {
				if e.Cause != "eds.signature.invalid" || e.Field != "" {
					t.Errorf("%+v", e)
				}
			}},
		{"attempts", `{"title":"The one-time code is wrong","status":422,"code":"pd.sms.code_invalid","attempts_left":0}`, "", 422,
			func(t *testing.T, e *Error) {
				if e.AttemptsLeft == nil || *e.AttemptsLeft != 0 || !errors.Is(e, ErrSMSCodeInvalid) {
					t.Errorf("%+v", e)
				}
			}},
		{"retry seconds", `{"title":"Too many requests","status":429,"code":"rate.limited"}`, "7", 429,
			func(t *testing.T, e *Error) {
				if e.RetryAfter != 7*time.Second {
					t.Errorf("RetryAfter %v", e.RetryAfter)
				}
			}},
		{"retry date", `{"title":"Busy","status":503,"code":"service.unavailable"}`, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 503,
			func(t *testing.T, e *Error) {
				if e.RetryAfter < 59*time.Minute || e.RetryAfter > time.Hour {
					t.Errorf("RetryAfter %v", e.RetryAfter)
				}
			}},
		{"retry garbage", `{"title":"Busy","status":503,"code":"service.unavailable"}`, "soon", 503,
			func(t *testing.T, e *Error) {
				if e.RetryAfter != 0 {
					t.Errorf("RetryAfter %v", e.RetryAfter)
				}
			}},
		{"status from the answer", `{"title":"x","status":200,"code":"pd.consent.revoked"}`, "", 403,
			func(t *testing.T, e *Error) {
				if e.Status != 403 || !errors.Is(e, ErrConsentRevoked) {
					t.Errorf("%+v", e)
				}
			}},
		{"not a problem", `<html>bad gateway</html>`, "", 502,
			func(t *testing.T, e *Error) {
				if e.Code != "http.error" || e.Status != 502 || e.Title != "<html>bad gateway</html>" {
					t.Errorf("%+v", e)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				if c.retry != "" {
					w.Header().Set("Retry-After", c.retry)
				}
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			cl, err := New(Config{BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.PollSMS(context.Background(), "r1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v", err, err)
			}
			c.check(t, e)
		})
	}
}
