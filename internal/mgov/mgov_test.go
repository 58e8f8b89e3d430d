package mgov

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHTTPMobileDB(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/api/v1/subscribers/900101012342":
			w.Write([]byte(`{"iin":"900101012342","phone":"+77990000001"}`))
		case "/api/v1/subscribers/900101012350":
			w.WriteHeader(404)
		case "/api/v1/subscribers/900101012369":
			w.Write([]byte(`{"phone":"not a phone"}`))
		case "/api/v1/subscribers/900101012377":
			w.Write([]byte(`{"phone":`))
		case "/api/v1/subscribers/900101012385":
			time.Sleep(300 * time.Millisecond)
		default:
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	db, err := NewHTTPMobileDB(ClientConfig{BaseURL: srv.URL + "/api/", Token: "tok", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if p, err := db.Phone(ctx, "900101012342"); err != nil || p != "+77990000001" {
		t.Errorf("Phone = %q, %v", p, err)
	}
	// rule PD-6.3.4: no number in the database means "register on eGov first".
	if _, err := db.Phone(ctx, "900101012350"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("unknown IIN: %v, want ErrNotRegistered", err)
	}
	for _, iin := range []string{"900101012369", "900101012377", "900101012385", "900101012393"} {
		if _, err := db.Phone(ctx, iin); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", iin, err)
		}
	}
	bad, _ := NewHTTPMobileDB(ClientConfig{BaseURL: srv.URL + "/api", Timeout: time.Second})
	if _, err := bad.Phone(ctx, "900101012342"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("without token: %v, want ErrUnavailable", err)
	}
	if _, err := NewHTTPMobileDB(ClientConfig{BaseURL: "bmg.local"}); err == nil {
		t.Error("relative base URL accepted")
	}
}

func TestHTTPSMSGateway(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/v1/messages" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(400)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		if got["phone"] == "+77990000009" {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(202)
		w.Write([]byte(`{"id":"m-1"}`))
	}))
	defer srv.Close()
	gw, err := NewHTTPSMSGateway(ClientConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	id, err := gw.Send(t.Context(), "+77990000001", "code 123456")
	if err != nil || id != "m-1" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if got["sender"] != ShortNumber || got["text"] != "code 123456" {
		t.Errorf("request = %v", got)
	}
	if _, err := gw.Send(t.Context(), "+77990000009", "x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("503: %v", err)
	}
	if _, err := gw.Send(t.Context(), "87011234567", "x"); err == nil {
		t.Error("non-E.164 number sent")
	}
}
