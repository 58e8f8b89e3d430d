package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// In the sandbox the NCANode-compatible API answers on the main listener, and signs
// CAdES-T with the sandbox TSA.
func TestNCANodeInSandbox(t *testing.T) {
	_, srv := newSandbox(t, "")
	p12, err := os.ReadFile("../../testdata/nca-gost2022/legal/valid/infosystem.p12")
	if err != nil {
		t.Fatal(err)
	}
	st, m := postJSON(t, srv.URL+"/pkcs12/info", map[string]any{"keys": []any{map[string]any{"key": base64.StdEncoding.EncodeToString(p12), "password": "Qwerty12"}}, "revocationCheck": []string{"CRL"}})
	if st != 200 || m["valid"] != false {
		t.Fatalf("/pkcs12/info of the revoked infosystem key: %d %v", st, m)
	}
	signers := m["signers"].([]any)
	revs := signers[0].(map[string]any)["revocations"].([]any)
	if r := revs[0].(map[string]any); r["revoked"] != true || r["by"] != "CRL" {
		t.Errorf("revocation %v", r)
	}
	ind, _ := os.ReadFile("../../testdata/nca-gost2022/individual/valid/individual_valid.p12")
	st, m = postJSON(t, srv.URL+"/cms/sign", map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("hello")),
		"signers": []any{map[string]any{"key": base64.StdEncoding.EncodeToString(ind), "password": "Qwerty12"}}, "withTsp": true})
	if st != 200 || m["cms"] == nil {
		t.Fatalf("/cms/sign withTsp: %d %v", st, m)
	}
	st, m = postJSON(t, srv.URL+"/cms/verify", map[string]any{"cms": m["cms"], "revocationCheck": []string{"CRL"}})
	if st != 200 || m["valid"] != true {
		t.Fatalf("/cms/verify: %d %v", st, m)
	}
	tsp := m["signers"].([]any)[0].(map[string]any)["tsp"]
	if tsp == nil {
		t.Errorf("no time-stamp in %v", m)
	}
}

// Outside the sandbox the NCANode API is only on its own listener.
func TestNCANodeListener(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	naddr := ln.Addr().String()
	ln.Close()
	a, err := New(t.Context(), Config{DataDir: t.TempDir(), KEKFile: kekFile(t), NCANodeAddr: naddr, Now: func() time.Time { return testNow }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, "127.0.0.1:0", func(ad net.Addr) { addr <- ad.String() }) }()
	// Serve returns before Close and before the data directory is removed: a node
	// still shutting down wrote into it after the test ("directory not empty").
	defer func() { cancel(); <-served }()
	main := "http://" + <-addr
	cert, _ := os.ReadFile("../../testdata/nca-gost2022/leaf/individual_valid.cer")
	body := map[string]any{"certs": []string{base64.StdEncoding.EncodeToString(cert)}}
	if st, _ := postJSON(t, main+"/x509/info", body); st != 404 {
		t.Errorf("NCANode API on the main listener outside the sandbox: %d", st)
	}
	var st int
	var m map[string]any
	for i := 0; i < 50; i++ { // the listener starts with Serve
		if res, err := http.Get("http://" + naddr + "/"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, m = postJSON(t, "http://"+naddr+"/x509/info", body)
	// Production trusts nothing it was not told to: the NCA test certificate is not valid.
	if st != 200 || m["valid"] != false || m["signers"] == nil {
		t.Errorf("NCANode listener /x509/info: %d %v", st, m)
	}
}
