package pd

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/api/apitest"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem/problemtest"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

// server mounts the routes behind a test middleware that authenticates the
// organization named in X-Test-Org (what orgauth does with certificates).
func (f *fixture) server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	f.svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	// Every exchange is checked against api/openapi.yaml.
	srv := httptest.NewServer(apitest.Middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get("X-Test-Org"); k != "" {
			orgsMu.Lock()
			o := orgs[k]
			orgsMu.Unlock()
			r = r.WithContext(orgauth.WithCaller(r.Context(), o.caller))
		}
		mux.ServeHTTP(w, r)
	}), nil))
	t.Cleanup(srv.Close)
	return srv
}

type resp struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r resp) answer() problemtest.Answer {
	return problemtest.Answer{Status: r.status, Header: r.header, Body: []byte(r.raw)}
}

func call(t *testing.T, srv *httptest.Server, o *org, method, path string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if o != nil {
		for k, v := range orgs {
			if v == o {
				req.Header.Set("X-Test-Org", k)
			}
		}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(b), header: res.Header}
	json.Unmarshal(b, &r.body)
	return r
}

func (r resp) code() string { s, _ := r.body["code"].(string); return s }

// rule PD-6.2.4: the authorized body rotates a leaked key out of the published set
// through the admin API (?compromised=true); an organisation cannot, and a value other
// than true or false changes nothing.
func TestAdminRotateCompromisedKey(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	srv := f.server(t)
	reg := orgOf(t, binRegulator, ca.P256)
	bank := orgOf(t, binBank, ca.P256)
	kids := func() []string {
		keys, err := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(keys))
	}
	before := kids()
	if r := call(t, srv, bank, "POST", "/v1/admin/pd/keys/rotate?compromised=true", nil); r.status != 403 || r.code() != "pd.admin.not_regulator" {
		t.Errorf("a bank rotates the key: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, reg, "POST", "/v1/admin/pd/keys/rotate?compromised=maybe", nil); r.status != 400 || r.code() != "request.invalid_field" {
		t.Errorf("compromised=maybe: %d %s", r.status, r.raw)
	}
	if got := kids(); !slices.Equal(got, before) {
		t.Fatalf("refused requests changed the keys: %v -> %v", before, got)
	}
	r := call(t, srv, reg, "POST", "/v1/admin/pd/keys/rotate?compromised=true", nil)
	if r.status != 200 {
		t.Fatalf("rotate compromised: %d %s", r.status, r.raw)
	}
	after := kids()
	if len(after) != 1 || slices.Contains(before, after[0]) {
		t.Errorf("published after a compromised rotation: %v (before %v), want the new key alone", after, before)
	}
	if w, _ := r.body["withdrawn"].([]any); len(w) != len(before) || w[0] != before[0] {
		t.Errorf("withdrawn %v, want %v", r.body["withdrawn"], before)
	}
}

// The admin API: only the authorized body changes the directories; every change is
// an event naming who made it. rule TR-1: the registry keeps every change's history
// and is publicly searchable.
func TestAdminAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		srv := f.server(t)
		reg := orgOf(t, binRegulator, ca.P256)
		bank := orgOf(t, binBank, ca.P256)
		obj := map[string]any{"kind": "information_system", "owner_bin": binBank, "name": "Core banking", "version": "7.1",
			"certificate_number": "KZ-CS-0001", "certificate_expires": f.now.Add(365 * 24 * time.Hour), "status": "trusted"}
		if r := call(t, srv, bank, "PUT", "/v1/admin/registry/objects/bank-core", obj); r.status != 403 || r.code() != "pd.admin.not_regulator" {
			t.Fatalf("bank: %d %s", r.status, r.raw)
		}
		if r := call(t, srv, nil, "PUT", "/v1/admin/registry/objects/bank-core", obj); r.status != 401 {
			t.Fatalf("anonymous: %d %s", r.status, r.raw)
		}
		if r := call(t, srv, reg, "PUT", "/v1/admin/registry/objects/bank-core", obj); r.status != 200 {
			t.Fatalf("regulator: %d %s", r.status, r.raw)
		}
		obj["status"] = "suspended"
		call(t, srv, reg, "PUT", "/v1/admin/registry/objects/bank-core", obj)
		h := call(t, srv, reg, "GET", "/v1/admin/registry/objects/bank-core/history", nil)
		if hs, _ := h.body["history"].([]any); len(hs) != 2 || hs[0].(map[string]any)["actor"] != "org:"+binRegulator {
			t.Fatalf("history %s", h.raw)
		}
		pub := call(t, srv, nil, "GET", "/v1/registry/objects?owner_bin="+binBank, nil)
		if objs, _ := pub.body["objects"].([]any); len(objs) != 1 || objs[0].(map[string]any)["status"] != "suspended" {
			t.Fatalf("public lookup %s", pub.raw)
		}
		if r := call(t, srv, nil, "GET", "/v1/registry/objects/nope", nil); r.status != 404 {
			t.Errorf("unknown object: %d", r.status)
		}
		var actor string
		db.QueryRowContext(t.Context(), `SELECT actor FROM outbox_events WHERE type = 'pd.registry.object.put' ORDER BY id DESC LIMIT 1`).Scan(&actor)
		if actor != "org:"+binRegulator {
			t.Errorf("event actor %q", actor)
		}
		// Directories through the API, with validation.
		if r := call(t, srv, reg, "PUT", "/v1/admin/pd/grounds/BAD", map[string]any{"titles": map[string]string{"kk": "a"}}); r.code() != "pd.directory.invalid" {
			t.Errorf("bad ground: %s", r.raw)
		}
		if r := call(t, srv, reg, "PUT", "/v1/admin/pd/service-codes/X", map[string]any{"title": "x", "owner": binOther, "data_sets": []string{"identity"},
			"bins": []string{binBank}, "consent_methods": []string{"sms"}, "access_methods": []string{"api"}, "period_seconds": 60}); r.code() != "pd.directory.invalid" {
			t.Errorf("sms consent method accepted: %s", r.raw)
		}
		if r := call(t, srv, reg, "PUT", "/v1/admin/pd/protocol-permissions/"+binBank, map[string]any{"grounds": []string{"CPC-199"}}); r.status != 200 {
			t.Errorf("permissions: %s", r.raw)
		}
		if r := call(t, srv, reg, "GET", "/v1/admin/pd/protocol-permissions", nil); !strings.Contains(r.raw, binBank) {
			t.Errorf("permissions list: %s", r.raw)
		}
		if r := call(t, srv, bank, "GET", "/v1/admin/pd/data-owners", nil); r.status != 403 {
			t.Errorf("bank reads admin directory: %d", r.status)
		}
		if r := call(t, srv, nil, "GET", "/.well-known/jwks.json", nil); r.status != 200 || len(r.body["keys"].([]any)) != 1 {
			t.Errorf("jwks %s", r.raw)
		}
	})
}

// rule TR-2: with the switch on, only a registered trusted information system may
// request access; suspending it stops it. With it off, the answer says whether the
// system is trusted.
func TestTR2(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	police := orgOf(t, binPolice, ca.P256)
	tr, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	if err != nil || tr.TrustedSystem {
		t.Fatalf("%+v %v", tr, err)
	}
	if err := f.svc.SetTR2(t.Context(), actorAdmin, true); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	wantCode(t, err, "pd.trusted_object.not_trusted", "TR-2")
	obj := TrustedObject{ID: "police-is", Kind: KindInformationSystem, OwnerBIN: binPolice, Name: "Police IS", CertNumber: "C-1",
		CertExpires: f.now.Add(time.Hour), Status: StatusTrusted, Thumbprints: []string{police.caller.Thumbprint}}
	if _, err := f.svc.PutTrustedObject(t.Context(), actorAdmin, obj); err != nil {
		t.Fatal(err)
	}
	tr, err = f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	if err != nil || !tr.TrustedSystem {
		t.Fatalf("%+v %v", tr, err)
	}
	// Another certificate of the same BIN is not the registered system.
	gost := orgOf(t, binPolice, ca.GOST2015)
	_, err = f.svc.Protocol(t.Context(), gost.caller, f.protoVT(gost, nil))
	wantCode(t, err, "pd.trusted_object.not_trusted", "TR-2")
	// A revoked object, and an expired certificate of compliance, do not count.
	obj.Status = StatusRevoked
	f.svc.PutTrustedObject(t.Context(), actorAdmin, obj)
	_, err = f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	wantCode(t, err, "pd.trusted_object.not_trusted", "TR-2")
	obj.Status = StatusTrusted
	f.svc.PutTrustedObject(t.Context(), actorAdmin, obj)
	f.now = f.now.Add(2 * time.Hour)
	_, err = f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	wantCode(t, err, "pd.trusted_object.not_trusted", "TR-2")
	// rule TR-1: a trusted object needs a certificate of compliance.
	_, err = f.svc.PutTrustedObject(t.Context(), actorAdmin, TrustedObject{ID: "x", Kind: KindPlatform, OwnerBIN: binPolice, Name: "x", Status: StatusTrusted})
	wantCode(t, err, "pd.trusted_object.invalid", "TR-1")
}

// rule PD-3.4 rule PD-2.8-1 rule PD-6.1.10: the data owner reports actions on the data a
// token served, automated or not; the subject sees them; the online check follows the
// consent.
func TestReportsAndHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		srv := f.server(t)
		bank := orgOf(t, binBank, ca.P256)
		register := orgOf(t, binRegister, ca.P256)
		police := orgOf(t, binPolice, ca.P256)
		cons := f.consent(binBank)
		r := call(t, srv, bank, "POST", "/v1/pd/proactive", map[string]string{"verification_token": f.vt(bank, nil)})
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		jti := r.body["jti"].(string)
		rep := map[string]any{"token_jti": jti, "subject": iinAdult, "action": "view", "automated": true, "data_sets": []string{"identity"}}
		first := call(t, srv, register, "POST", "/v1/pd/reports", rep, "Idempotency-Key", "k1")
		if first.status != 201 {
			t.Fatalf("report %d %s", first.status, first.raw)
		}
		// The replay is the first answer again, headers included.
		again := call(t, srv, register, "POST", "/v1/pd/reports", rep, "Idempotency-Key", "k1")
		problemtest.SameReplay(t, first.answer(), again.answer())
		if n := countEvents(t, db, "pd.action.reported"); n != 1 {
			t.Errorf("idempotent report emitted %d events", n)
		}
		rep2 := map[string]any{"token_jti": jti, "subject": iinAdult, "action": "view", "data_sets": []string{"identity"}}
		if r := call(t, srv, register, "POST", "/v1/pd/reports", rep2); r.code() != "pd.report.invalid" {
			t.Errorf("report without automated: %s", r.raw)
		}
		// Authorization: the police is no data owner; the token is not another subject's.
		if r := call(t, srv, police, "POST", "/v1/pd/reports", rep); r.status != 403 {
			t.Errorf("police reports: %d %s", r.status, r.raw)
		}
		rep3 := map[string]any{"token_jti": jti, "subject": iinOther, "action": "view", "automated": false, "data_sets": []string{"identity"}}
		if r := call(t, srv, register, "POST", "/v1/pd/reports", rep3); r.code() != "pd.report.token_mismatch" {
			t.Errorf("report on another subject: %s", r.raw)
		}
		// rule PD-3.4: what the citizen is told about an action is what happened. A time to
		// come is refused, not replaced by now; an action under a token stays within the
		// token — its data sets, after its issue — or the notice would attribute to the
		// initiator an access it was not given. Nothing refused is stored.
		events := countEvents(t, db, "pd.action.reported")
		for _, c := range []struct {
			name, code, field string
			change            func(map[string]any)
		}{
			{"future", "pd.report.invalid", "at", func(m map[string]any) { m["at"] = f.now.Add(time.Hour) }},
			{"before the token", "pd.report.outside_token", "at", func(m map[string]any) { m["at"] = f.now.Add(-time.Hour) }},
			{"outside the scope", "pd.report.outside_token", "data_sets", func(m map[string]any) { m["data_sets"] = []string{"identity", "address"} }},
		} {
			m := maps.Clone(rep)
			c.change(m)
			if r := call(t, srv, register, "POST", "/v1/pd/reports", m); r.code() != c.code || r.body["field"] != c.field {
				t.Errorf("%s: %d %s", c.name, r.status, r.raw)
			}
		}
		if n := countEvents(t, db, "pd.action.reported"); n != events {
			t.Errorf("refused reports emitted %d events", n-events)
		}
		// The same times and data sets are the owner's to report as its own action (no
		// token): an address it changed an hour ago, a time within the clock skew.
		own := map[string]any{"subject": iinAdult, "action": "change", "automated": false, "data_sets": []string{"address"}, "at": f.now.Add(-time.Hour)}
		if r := call(t, srv, register, "POST", "/v1/pd/reports", own); r.status != 201 {
			t.Errorf("the owner's own action: %d %s", r.status, r.raw)
		}
		within := maps.Clone(rep)
		within["at"] = f.now.Add(30 * time.Second)
		if r := call(t, srv, register, "POST", "/v1/pd/reports", within); r.status != 201 {
			t.Errorf("a time within the clock skew: %d %s", r.status, r.raw)
		}
		h, err := f.svc.AccessHistory(t.Context(), iinAdult)
		if err != nil || len(h) != 4 {
			t.Fatalf("history %+v %v", h, err)
		}
		if other, _ := f.svc.AccessHistory(t.Context(), iinOther); len(other) != 0 {
			t.Errorf("another citizen's history: %+v", other)
		}
		// Online check, only for the audience.
		if r := call(t, srv, register, "GET", "/v1/pd/tokens/"+jti+"/status", nil); r.body["active"] != true {
			t.Errorf("status %s", r.raw)
		}
		if r := call(t, srv, bank, "GET", "/v1/pd/tokens/"+jti+"/status", nil); r.status != 404 {
			t.Errorf("bank asks the owner's check: %d", r.status)
		}
		f.svc.RevokeConsent(t.Context(), iinAdult, "", cons.ID)
		if r := call(t, srv, register, "GET", "/v1/pd/tokens/"+jti+"/status", nil); r.body["active"] != false || r.body["reason"] != "consent_revoked" {
			t.Errorf("after revocation %s", r.raw)
		}
	})
}

// The authorization matrix over the organisation endpoints: without a caller nothing;
// another organization reaches nothing of another's.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	srv := f.server(t)
	op := orgOf(t, binOther, ca.P256)
	bank := orgOf(t, binBank, ca.P256)
	r := call(t, srv, op, "POST", "/v1/pd/sms-requests", smsReq())
	if r.status != 202 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	id := r.body["request_id"].(string)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/pd/consents", map[string]any{}},
		{"POST", "/v1/pd/proactive", map[string]any{"verification_token": "x"}},
		{"POST", "/v1/pd/protocol", map[string]any{"verification_token": "x"}},
		{"POST", "/v1/pd/sms-requests", smsReq()},
		{"GET", "/v1/pd/sms-requests/" + id, nil},
		{"POST", "/v1/pd/sms-requests/" + id + "/code", map[string]string{"code": "1"}},
		{"POST", "/v1/pd/reports", map[string]any{}},
		{"GET", "/v1/pd/tokens/x/status", nil},
		{"GET", "/v1/admin/pd/grounds", nil},
		{"PUT", "/v1/admin/registry/tr2", map[string]bool{"enforced": true}},
		{"POST", "/v1/admin/pd/keys/rotate", nil},
	} {
		if r := call(t, srv, nil, tc.method, tc.path, tc.body); r.status != 401 {
			t.Errorf("anonymous %s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	// Another organization cannot see or answer the operator's request.
	if r := call(t, srv, bank, "GET", "/v1/pd/sms-requests/"+id, nil); r.status != 404 {
		t.Errorf("bank polls operator's request: %d", r.status)
	}
	if r := call(t, srv, bank, "POST", "/v1/pd/sms-requests/"+id+"/code", map[string]string{"code": smsCode(t, f)}); r.status != 404 {
		t.Errorf("bank enters operator's code: %d", r.status)
	}
	// An initiator records consents for itself only.
	if r := call(t, srv, bank, "POST", "/v1/pd/consents", map[string]any{"subject": iinAdult, "initiator": binOther, "owner": binRegister,
		"data_sets": []string{"identity"}, "purpose": "x", "valid_until": f.now.Add(time.Hour), "method": "biometric", "reference": "b"}); r.status != 403 {
		t.Errorf("consent for another initiator: %d %s", r.status, r.raw)
	}
	// A proactive token of one organization presented by another.
	f.consent(binBank)
	if r := call(t, srv, op, "POST", "/v1/pd/proactive", map[string]string{"verification_token": f.vt(bank, nil)}); r.status == 201 {
		t.Errorf("token of the bank accepted from another organization")
	}
	// The operator's answer works for the operator.
	if r := call(t, srv, op, "POST", "/v1/pd/sms-requests/"+id+"/code", map[string]string{"code": smsCode(t, f)}); r.status != 201 || r.body["security_token"] == nil {
		t.Errorf("operator enters the code: %d %s", r.status, r.raw)
	}
}

// rawCall sends body as it is, with the given Content-Type ("" sends none).
func rawCall(t *testing.T, srv *httptest.Server, o *org, method, path, contentType, body string) resp {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range orgs {
		if v == o {
			req.Header.Set("X-Test-Org", k)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(b)}
	if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 && ct != "application/problem+json" {
		t.Errorf("%s %s: error with Content-Type %q", method, path, ct)
	}
	json.Unmarshal(b, &r.body)
	return r
}

// One decoder for every JSON route: the same client mistake gets the same status,
// code and field on every route, consents and reports included (they once took any
// Content-Type and trailing data), and changes nothing.
func TestJSONRoutesRefuseTheSameMistakes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		srv := f.server(t)
		bank := orgOf(t, binBank, ca.P256)
		reg := orgOf(t, binRegulator, ca.P256)
		routes := []struct {
			o            *org
			method, path string
			valid        string // a body with the route's fields, to which mistakes are added
		}{
			{bank, "POST", "/v1/pd/consents", `{"owner":"x"}`},
			{bank, "POST", "/v1/pd/reports", `{"action":"read"}`},
			{bank, "POST", "/v1/pd/proactive", `{"verification_token":"x"}`},
			{bank, "POST", "/v1/pd/sms-requests", `{"request_id":"x"}`},
			{bank, "POST", "/v1/pd/sms-requests/x/code", `{"code":"1"}`},
			{reg, "PUT", "/v1/admin/pd/grounds/G-1", `{"legal_ref":"x"}`},
			{reg, "PUT", "/v1/admin/pd/protocol-permissions/" + binBank, `{"grounds":[]}`},
			{reg, "PUT", "/v1/admin/registry/tr2", `{"enforced":true}`},
		}
		allEvents := func() int {
			var n int
			if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM outbox_events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := allEvents()
		for _, rt := range routes {
			t.Run(rt.path, func(t *testing.T) {
				obj := strings.TrimSuffix(rt.valid, "}")
				for _, tc := range []struct {
					name, ct, body string
					status         int
					code, field    string
				}{
					{"text/plain", "text/plain", rt.valid, 415, "request.unsupported_media_type", ""},
					{"form", "application/x-www-form-urlencoded", "a=b", 415, "request.unsupported_media_type", ""},
					{"no Content-Type", "", rt.valid, 415, "request.unsupported_media_type", ""},
					{"trailing data", "application/json", rt.valid + `{}`, 400, "request.trailing_data", ""},
					{"unknown field", "application/json", obj + `,"surplus":1}`, 400, "request.unknown_field", "surplus"},
					{"syntax", "application/json", obj, 400, "request.malformed_json", ""},
					{"too large", "application/json", obj + `,"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "request.too_large", ""},
				} {
					r := rawCall(t, srv, rt.o, rt.method, rt.path, tc.ct, tc.body)
					if r.status != tc.status || r.code() != tc.code {
						t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
					}
					if got, _ := r.body["field"].(string); got != tc.field {
						t.Errorf("%s: field %q, want %q", tc.name, got, tc.field)
					}
				}
			})
		}
		if after := allEvents(); after != before {
			t.Errorf("refused requests wrote %d events", after-before)
		}
	})
}

// PUT protocol-permissions with {} once cleared the BIN's grounds: the grounds member
// is required; [] still clears them on purpose.
func TestProtocolPermissionsNeedGrounds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		srv := f.server(t)
		reg := orgOf(t, binRegulator, ca.P256)
		path := "/v1/admin/pd/protocol-permissions/" + binPolice
		for _, body := range []string{`{}`, `{"grounds":null}`} {
			r := rawCall(t, srv, reg, "PUT", path, "application/json", body)
			if r.status != 400 || r.code() != "request.invalid_field" || r.body["field"] != "grounds" {
				t.Errorf("%s: %d %s", body, r.status, r.raw)
			}
		}
		perms, err := f.svc.ProtocolPermissions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := perms[binPolice]; len(got) != 2 {
			t.Fatalf("grounds after refused requests: %v, want the two seeded", perms)
		}
		if r := rawCall(t, srv, reg, "PUT", path, "application/json", `{"grounds":[]}`); r.status != 200 {
			t.Fatalf("explicit []: %d %s", r.status, r.raw)
		}
		perms, _ = f.svc.ProtocolPermissions(t.Context())
		if got := perms[binPolice]; len(got) != 0 {
			t.Errorf("explicit [] left %v", got)
		}
	})
}
