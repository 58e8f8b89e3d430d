package ncalayer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/sandbox"
)

var (
	keysOnce sync.Once
	keys     *sandbox.Keys
	keysErr  error
)

// demoKeys is a sandbox CA (GOST 2015 only) and its demo keys, shared by the tests.
func demoKeys(t *testing.T) *sandbox.Keys {
	t.Helper()
	keysOnce.Do(func() {
		dir, err := osTemp()
		if err != nil {
			keysErr = err
			return
		}
		c, err := ca.Open(filepath.Join(dir, "ca"), ca.Config{Algorithms: []ca.Algorithm{ca.GOST2015}})
		if err != nil {
			keysErr = err
			return
		}
		keys = &sandbox.Keys{CA: c, Dir: filepath.Join(dir, "keys"), Pop: sandbox.Demo()}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

type conn struct {
	t   *testing.T
	c   *websocket.Conn
	sim *Simulator
	srv *httptest.Server
}

func dial(t *testing.T) *conn {
	t.Helper()
	sim := &Simulator{Keys: demoKeys(t), Wait: 10 * time.Second}
	srv := httptest.NewTLSServer(sim.Handler())
	t.Cleanup(srv.Close)
	c, _, err := websocket.Dial(t.Context(), "wss"+strings.TrimPrefix(srv.URL, "https"), &websocket.DialOptions{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	k := &conn{t: t, c: c, sim: sim, srv: srv}
	if v := k.read(); !strings.Contains(v, `"version":"`+Version+`"`) {
		t.Fatalf("greeting %s", v)
	}
	return k
}

func (k *conn) send(v string) {
	k.t.Helper()
	if err := k.c.Write(k.t.Context(), websocket.MessageText, []byte(v)); err != nil {
		k.t.Fatal(err)
	}
}

func (k *conn) read() string {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(k.t.Context(), 15*time.Second)
	defer cancel()
	_, b, err := k.c.Read(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	return string(b)
}

// decide waits until a request is pending and posts the person's decision on the
// confirmation page; it returns the page.
func (k *conn) decide(signer, decision string) string {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		k.sim.mu.Lock()
		var id string
		for i := range k.sim.pending {
			id = i
		}
		k.sim.mu.Unlock()
		if id != "" {
			// The page lists it.
			res, err := k.srv.Client().Get(k.srv.URL + "/")
			if err != nil {
				k.t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(page), `id="request-`+id+`"`) || !strings.Contains(string(page), `id="sandbox-banner"`) {
				k.t.Errorf("the confirmation page does not show the request:\n%s", page)
			}
			res, err = k.srv.Client().PostForm(k.srv.URL+"/confirm", url.Values{"id": {id}, "signer": {signer}, "decision": {decision}})
			if err != nil {
				k.t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return string(b)
		}
		if time.Now().After(deadline) {
			k.t.Fatal("no request became pending")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func basicsSign(data []byte, iin string, encapsulate bool) string {
	b, _ := json.Marshal(map[string]any{"module": "kz.gov.pki.knca.basics", "method": "sign", "args": map[string]any{
		"allowedStorages": []string{"PKCS12"}, "format": "cms", "data": base64.StdEncoding.EncodeToString(data),
		"signingParams": map[string]any{"decode": "true", "encapsulate": encapsulate, "digested": false},
		"signerParams":  map[string]any{"iin": iin, "extKeyUsageOids": []string{"1.3.6.1.5.5.7.3.4"}}, "locale": "kk"}})
	return string(b)
}

// The basics module: the person confirms, the answer carries a CMS of the data by
// the chosen key (attached or detached as asked).
func TestBasicsSign(t *testing.T) {
	k := dial(t)
	c := sandbox.Demo().Citizens[0]
	data := []byte("Senim login test")
	for _, attach := range []bool{true, false} {
		k.send(basicsSign(data, c.IIN, attach))
		k.decide("citizen:"+c.IIN, "sign")
		var res struct {
			Status bool `json:"status"`
			Body   struct {
				Result []string `json:"result"`
			} `json:"body"`
		}
		if err := json.Unmarshal([]byte(k.read()), &res); err != nil || !res.Status || len(res.Body.Result) != 1 {
			t.Fatalf("answer %+v %v", res, err)
		}
		der, _ := base64.StdEncoding.DecodeString(res.Body.Result[0])
		var detached []byte
		if !attach {
			detached = data
		}
		v, err := cms.Verify(t.Context(), der, detached, cms.VerifyOptions{})
		if err != nil || len(v.Signers) != 1 || !v.Signers[0].SignatureValid || !bytes.Equal(v.Content, data) ||
			v.Signers[0].CertInfo.Subject.IIN != c.IIN {
			t.Fatalf("attach=%v: the CMS does not verify as the citizen's signature of the data: %v %+v", attach, err, v)
		}
		if sd, _ := cms.Parse(der); sd.HasContent != attach {
			t.Errorf("attach=%v: the CMS has content %v", attach, sd.HasContent)
		}
	}
}

// Cancelling, asking for a signer who has no key, a key the request did not offer,
// and malformed requests: each answered with NCALayer's error shape, nothing signed.
func TestBasicsRefusals(t *testing.T) {
	k := dial(t)
	c, other := sandbox.Demo().Citizens[0], sandbox.Demo().Citizens[1]
	k.send(basicsSign([]byte("x"), c.IIN, true))
	k.decide("", "cancel")
	if v := k.read(); !strings.Contains(v, `"status":false`) || !strings.Contains(v, `"code":"canceledByUser"`) {
		t.Errorf("cancel: %s", v)
	}
	k.send(basicsSign([]byte("x"), "000000000000", true))
	if v := k.read(); !strings.Contains(v, `"code":"WRONG_KEY"`) {
		t.Errorf("no key of that IIN: %s", v)
	}
	// The page refuses a key the request did not offer; the request stays.
	k.send(basicsSign([]byte("x"), c.IIN, true))
	if page := k.decide("citizen:"+other.IIN, "sign"); !strings.Contains(page, i18n.T("kk", "ncalayer.sim.pick")) {
		t.Errorf("another key accepted:\n%s", page)
	}
	k.decide("", "cancel")
	if v := k.read(); !strings.Contains(v, `"code":"canceledByUser"`) {
		t.Errorf("after the wrong key, cancel: %s", v)
	}
	for _, bad := range []string{
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":{"format":"pdf","data":"eA=="}}`,
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":{"format":"xml","data":["<a/>"]}}`,
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":{"format":"cms","data":"***"}}`,
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":{"format":"cms","data":["eA=="]}}`,
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":[1]}`,
		`{"module":"kz.gov.pki.knca.basics","method":"nope"}`,
	} {
		k.send(bad)
		if v := k.read(); !strings.Contains(v, `"status":false`) {
			t.Errorf("%s: %s", bad, v)
		}
	}
	k.send(`{"method":"browseKeyStore"}`) // the legacy applet
	if v := k.read(); !strings.Contains(v, `"code":"500"`) {
		t.Errorf("legacy applet: %s", v)
	}
	// Noise is ignored; the connection still answers.
	k.send(`--heartbeat--`)
	k.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"getVersion"}`)
	if v := k.read(); !strings.Contains(v, `"code":"200"`) || !strings.Contains(v, Version) {
		t.Errorf("getVersion: %s", v)
	}
}

// Format "xml" (basics) and signXml (commonUtils): the answer is the document with an
// enveloped XML-DSig signature by the chosen key, which xmldsig verifies over exactly
// the document sent.
func TestSignXML(t *testing.T) {
	k := dial(t)
	c := sandbox.Demo().Citizens[1]
	doc := `<consent xmlns="urn:senim:consent:1"><text>Қазақ &amp; text</text></consent>`
	check := func(name, signed string) {
		t.Helper()
		res, err := xmldsig.Verify([]byte(signed), xmldsig.VerifyOptions{})
		if err != nil || len(res.Signatures) != 1 || pki.Info(res.Signatures[0].Certificate).Subject.IIN != c.IIN ||
			string(res.Signatures[0].References[0].Canonical) != doc {
			t.Fatalf("%s: %v %s", name, err, signed)
		}
	}
	b, _ := json.Marshal(map[string]any{"module": "kz.gov.pki.knca.basics", "method": "sign", "args": map[string]any{
		"allowedStorages": []string{"PKCS12"}, "format": "xml", "data": doc,
		"signingParams": map[string]any{}, "signerParams": map[string]any{"iin": c.IIN}, "locale": "ru"}})
	k.send(string(b))
	k.decide("citizen:"+c.IIN, "sign")
	var res struct {
		Status bool `json:"status"`
		Body   struct {
			Result []string `json:"result"`
		} `json:"body"`
	}
	if err := json.Unmarshal([]byte(k.read()), &res); err != nil || !res.Status || len(res.Body.Result) != 1 {
		t.Fatalf("answer %+v %v", res, err)
	}
	check("basics", res.Body.Result[0])
	b, _ = json.Marshal(map[string]any{"module": "kz.gov.pki.knca.commonUtils", "method": "signXml", "args": []any{"PKCS12", "SIGNATURE", doc, "", ""}})
	k.send(string(b))
	k.decide("citizen:"+c.IIN, "sign")
	var old struct {
		Code           string `json:"code"`
		ResponseObject string `json:"responseObject"`
	}
	if err := json.Unmarshal([]byte(k.read()), &old); err != nil || old.Code != "200" {
		t.Fatalf("signXml %+v %v", old, err)
	}
	check("commonUtils", old.ResponseObject)
	k.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"signXml","args":["PKCS12","SIGNATURE",""]}`)
	if v := k.read(); !strings.Contains(v, `"code":"500"`) {
		t.Errorf("empty xml: %s", v)
	}
}

// The older commonUtils module: createCAdESFromBase64 with positional arguments.
func TestCommonUtilsSign(t *testing.T) {
	k := dial(t)
	c := sandbox.Demo().Citizens[2]
	data := []byte("consent text")
	k.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"createCAdESFromBase64","args":["PKCS12","SIGNATURE","` + base64.StdEncoding.EncodeToString(data) + `",true]}`)
	k.decide("citizen:"+c.IIN, "sign")
	var res struct {
		Code           string `json:"code"`
		ResponseObject string `json:"responseObject"`
	}
	if err := json.Unmarshal([]byte(k.read()), &res); err != nil || res.Code != "200" {
		t.Fatalf("answer %+v %v", res, err)
	}
	der, _ := base64.StdEncoding.DecodeString(res.ResponseObject)
	v, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{})
	if err != nil || len(v.Signers) != 1 || !v.Signers[0].SignatureValid || !bytes.Equal(v.Content, data) {
		t.Fatalf("the CMS does not verify: %v", err)
	}
	k.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"createCAdESFromBase64","args":["PKCS12","SIGNATURE","eA==",true]}`)
	k.decide("", "cancel")
	if v := k.read(); !strings.Contains(v, `"message":"action.canceled"`) {
		t.Errorf("cancel: %s", v)
	}
	k.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"createCAdESFromBase64","args":["PKCS12"]}`)
	if v := k.read(); !strings.Contains(v, `"code":"500"`) {
		t.Errorf("short arguments: %s", v)
	}
}

// The simulator listens on loopback only, and a stale confirmation is answered
// without harm.
func TestListenLoopbackOnly(t *testing.T) {
	sim := &Simulator{Keys: demoKeys(t)}
	cert, err := demoKeys(t).CA.IssueTLSServer([]string{"127.0.0.1"}, time.Hour)
	if err == nil {
		t.Fatal("a GOST-only CA issued a TLS certificate")
	}
	_ = cert
	if _, err := sim.Listen(t.Context(), "0.0.0.0:0", nil); err == nil {
		t.Error("the simulator listened beyond loopback")
	}
	srv := httptest.NewTLSServer(sim.Handler())
	defer srv.Close()
	res, err := srv.Client().PostForm(srv.URL+"/confirm", url.Values{"id": {"nope"}, "decision": {"sign"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="sandbox-banner"`) {
		t.Errorf("stale confirmation: %d\n%s", res.StatusCode, b)
	}
}

// FuzzHandle: whatever a page sends, the simulator answers in NCALayer's shapes and
// never panics (nothing is confirmed, so nothing is signed).
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		`{"module":"kz.gov.pki.knca.basics","method":"sign","args":{"format":"cms","data":"eA==","signingParams":{"decode":false}}}`,
		`{"module":"kz.gov.pki.knca.commonUtils","method":"createCAdESFromBase64","args":[1,2,3,4]}`,
		`{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}`,
		`{"module":"x"}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	sim := &Simulator{Keys: emptySigners{}, Wait: time.Millisecond}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m message
		if json.Unmarshal(b, &m) != nil {
			return
		}
		out, err := json.Marshal(sim.handle(context.Background(), "https://x", m))
		if err != nil || !(bytes.Contains(out, []byte(`"status":`)) || bytes.Contains(out, []byte(`"code":`))) {
			t.Fatalf("answer %s %v", out, err)
		}
	})
}

// emptySigners has no demo signer: a request for a named IIN finds no key, any
// other times out unconfirmed.
type emptySigners struct{}

func (emptySigners) Signers() []sandbox.DemoSigner { return nil }
func (emptySigners) SignCMS(context.Context, string, []byte, bool) ([]byte, error) {
	panic("nothing was confirmed, nothing may be signed")
}
func (emptySigners) SignXML(context.Context, string, []byte) ([]byte, error) {
	panic("nothing was confirmed, nothing may be signed")
}

func osTemp() (string, error) { return os.MkdirTemp("", "senim-ncalayer-test-") }

// signingParams.tsaProfile asks for a signature time-stamp, as NCALayer gets from the
// NCA's TSA: the answer's CMS carries one (CAdES-T) from the sandbox TSA; a request
// without tsaProfile, or with it null, gets none.
func TestBasicsSignTimeStamp(t *testing.T) {
	k := dial(t)
	c := sandbox.Demo().Citizens[0]
	data := []byte("Қарыз шарты: 2 000 000 теңге, 24 ай")
	for _, tc := range []struct {
		profile any
		stamped bool
	}{{map[string]any{}, true}, {nil, false}, {"absent", false}} {
		params := map[string]any{"decode": true, "encapsulate": true, "digested": false}
		if tc.profile != "absent" {
			params["tsaProfile"] = tc.profile
		}
		b, _ := json.Marshal(map[string]any{"module": "kz.gov.pki.knca.basics", "method": "sign", "args": map[string]any{
			"format": "cms", "data": base64.StdEncoding.EncodeToString(data), "signingParams": params,
			"signerParams": map[string]any{"iin": c.IIN}}})
		k.send(string(b))
		k.decide("citizen:"+c.IIN, "sign")
		var res struct {
			Status bool `json:"status"`
			Body   struct {
				Result []string `json:"result"`
			} `json:"body"`
		}
		if err := json.Unmarshal([]byte(k.read()), &res); err != nil || !res.Status || len(res.Body.Result) != 1 {
			t.Fatalf("answer %+v %v", res, err)
		}
		der, _ := base64.StdEncoding.DecodeString(res.Body.Result[0])
		v, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{})
		if err != nil || len(v.Signers) != 1 || !v.Signers[0].SignatureValid {
			t.Fatalf("profile %v: %v %+v", tc.profile, err, v)
		}
		if got := v.Signers[0].TimeStamp != nil; got != tc.stamped {
			t.Errorf("profile %v: time-stamped %v, want %v", tc.profile, got, tc.stamped)
		}
	}
}
