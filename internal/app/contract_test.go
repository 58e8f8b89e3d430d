package app

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/sandbox"
)

// The routes no other app test calls go through the validating middleware here, so
// their documentation in api/openapi.yaml is checked against real answers too: the
// NCANode health check, the confirmation policy, the notice sender directory and dead
// letters (the authorized body only; rule DC-2), and the archive's container import
// (rule DC-6), each with a refusal.
func TestContractRoutesNotOtherwiseExercised(t *testing.T) {
	a, srv := newSandbox(t, "")
	type org struct {
		bin  string
		spec cms.SignerSpec
	}
	orgOf := func(o sandbox.Organization) org {
		b, err := a.Keys.P12("org", o.BIN, ca.GOST2015)
		if err != nil {
			t.Fatal(err)
		}
		f, err := pkcs12.Decode(b, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		e := f.Entries[0]
		return org{o.BIN, cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}}
	}
	var regulator, other, third org
	for _, o := range a.Pop.Organizations {
		switch {
		case o.Role == "regulator" && regulator.bin == "":
			regulator = orgOf(o)
		case o.Role != "regulator" && other.bin == "":
			other = orgOf(o)
		case o.Role != "regulator" && third.bin == "":
			third = orgOf(o)
		}
	}
	if regulator.bin == "" || other.bin == "" || third.bin == "" {
		t.Fatal("the sandbox lacks a regulator or two other organisations")
	}
	call := func(o *org, method, path, ct string, raw []byte) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(raw))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if o != nil {
			if err := orgauth.SignRequest(req, raw, o.spec.Signer, append([]*x509.Certificate{o.spec.Cert}, o.spec.Chain...), testNow); err != nil {
				t.Fatal(err)
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return res.StatusCode, m
	}

	if st, m := call(nil, "GET", "/actuator/health", "", nil); st != 200 || m["status"] != "UP" {
		t.Errorf("health: %d %v", st, m)
	}
	if st, m := call(nil, "GET", "/v1/confirm/policy", "", nil); st != 200 || m["version"] == "" || m["kinds"] == nil {
		t.Errorf("policy: %d %v", st, m)
	}

	// The sender directory: the regulator reads and sets it; anyone else is refused.
	if st, m := call(&other, "GET", "/v1/admin/notify/senders", "", nil); st != 403 || m["code"] != "pd.admin.not_regulator" {
		t.Errorf("another organisation read the sender directory: %d %v", st, m)
	}
	if st, m := call(&other, "PUT", "/v1/admin/notify/senders/"+other.bin, "application/json", []byte(`{"categories":["court"]}`)); st != 403 {
		t.Errorf("an organisation gave itself a sender permission: %d %v", st, m)
	}
	if st, m := call(&regulator, "PUT", "/v1/admin/notify/senders/"+third.bin, "application/json", []byte(`{"categories":["court"]}`)); st != 200 || m["bin"] != third.bin {
		t.Errorf("set a sender: %d %v", st, m)
	}
	if st, m := call(&regulator, "PUT", "/v1/admin/notify/senders/"+third.bin, "application/json", []byte(`{"categories":["no_such_category"]}`)); st != 422 || m["code"] != "notify.category.unknown" {
		t.Errorf("an unknown category: %d %v", st, m)
	}
	if st, m := call(&regulator, "PUT", "/v1/admin/notify/senders/"+third.bin, "application/json", []byte(`{}`)); st != 400 || m["field"] != "categories" {
		t.Errorf("no categories member: %d %v", st, m)
	}
	st, m := call(&regulator, "GET", "/v1/admin/notify/senders", "", nil)
	if senders, _ := m["senders"].(map[string]any); st != 200 || senders[third.bin] == nil {
		t.Errorf("the directory: %d %v", st, m)
	}
	if st, m := call(&regulator, "GET", "/v1/admin/notify/dead-letters", "", nil); st != 200 || m["dead_letters"] == nil {
		t.Errorf("dead letters: %d %v", st, m)
	}
	if st, m := call(&regulator, "POST", "/v1/admin/notify/dead-letters/999999/retry", "", nil); st != 404 || m["code"] != "notify.delivery.not_found" {
		t.Errorf("retry of no delivery: %d %v", st, m)
	}
	if st, _ := call(&other, "POST", "/v1/admin/notify/dead-letters/1/retry", "", nil); st != 403 {
		t.Errorf("another organisation retried a delivery: %d", st)
	}

	// The archive: a container exported by one party is imported by another
	// organisation; garbage is refused and stores nothing.
	content := []byte("Lease No. 12")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{other.spec}, cms.SignOptions{Now: a.Config.Now})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "lease.txt", "signatures": [][]byte{sig}})
	st, m = call(&other, "POST", "/v1/archive/documents", "application/json", body)
	if st != 201 {
		t.Fatalf("ingest: %d %v", st, m)
	}
	id, _ := m["id"].(string)
	req, _ := http.NewRequest("GET", srv.URL+"/v1/archive/documents/"+id+"/asice", nil)
	if err := orgauth.SignRequest(req, nil, other.spec.Signer, append([]*x509.Certificate{other.spec.Cert}, other.spec.Chain...), testNow); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	container, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("export: %d", res.StatusCode)
	}
	if st, m := call(&third, "POST", "/v1/archive/containers", archive.MimeTypeASiCE, []byte("not a zip")); st != 422 || m["code"] != "archive.asic.malformed" {
		t.Errorf("garbage container: %d %v", st, m)
	}
	if st, m := call(&third, "POST", "/v1/archive/containers", "text/plain", container); st != 415 {
		t.Errorf("a container as text/plain: %d %v", st, m)
	}
	st, m = call(&third, "POST", "/v1/archive/containers", archive.MimeTypeASiCE, container)
	if st != 201 || m["content_sha256"] != archive.Address(content) || m["id"] == nil {
		t.Fatalf("import: %d %v", st, m)
	}
	if st, _ := call(&third, "GET", "/v1/archive/documents/"+m["id"].(string), "", nil); st != 200 {
		t.Errorf("the importer reads its import: %d", st)
	}
}
