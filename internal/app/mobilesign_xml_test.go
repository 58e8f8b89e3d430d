package app

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/pd"
)

// TestMobileSignConsentXML: a consent asked of eGov Mobile in XML (the cabinet's
// format choice) goes through the phone's API as signMethod XML with the consent's XML
// document; a tampered document, the signed text wrapped beside another, and another
// citizen's signature are refused over the wire with their codes (problem+json, as the
// contract says), nothing is recorded; the citizen's own signature is taken once by
// the page and records the consent, and the link cannot be used again.
// rule PD-6.1.1 rule DC-1
func TestMobileSignConsentXML(t *testing.T) {
	a, srv := newSandbox(t, "")
	alice, other := a.Pop.Citizens[0], a.Pop.Citizens[6]
	var bank, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bank = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	b := newBrowser(t, srv.URL)
	home := b.login(alice)
	form := url.Values{"csrf": {csrfOf(t, home)}, "initiator": {bank}, "owner": {register}, "data_sets": {"identity"},
		"purpose": {"mortgage"}, "valid_until": {"2027-06-01"}, "text_lang": {"en"}, "sign_format": {"xml"}}
	st, body := b.post("/consents/confirm/mobile", form)
	var s started
	if err := json.Unmarshal([]byte(body), &s); st != 200 || err != nil {
		t.Fatalf("start: %d %s", st, body)
	}
	link := strings.TrimPrefix(s.Link, "mobileSign:")
	st, info := phone(t, "GET", link, "", nil)
	doc, _ := info["document"].(map[string]any)
	if st != 200 || doc == nil {
		t.Fatalf("API-1: %d %v", st, info)
	}
	uri, token := doc["uri"].(string), doc["auth_token"].(string)
	st, docs := phone(t, "GET", uri, token, nil)
	items, _ := docs["documentsToSign"].([]any)
	if st != 200 || docs["signMethod"] != mobilesign.XML || len(items) != 1 {
		t.Fatalf("API-2: %d %v", st, docs)
	}
	xml, _ := items[0].(map[string]any)["documentXml"].(string)
	if !strings.HasPrefix(xml, `<consent xmlns="`+pd.ConsentXMLNS+`" lang="en"><text>SENIM v2 en`) {
		t.Fatalf("API-2 does not give the consent's XML document: %q", xml)
	}
	sign := func(ref, d string) string {
		out, err := a.Keys.SignXML(t.Context(), ref, []byte(d))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	put := func(signed string) (int, map[string]any) {
		b, _ := json.Marshal(mobilesign.Documents{SignMethod: mobilesign.XML, DocumentsToSign: []mobilesign.Document{{ID: 1, DocumentXML: signed}}})
		return phone(t, "PUT", uri, token, b)
	}
	good := sign("citizen:"+alice.IIN, xml)
	otherDoc := strings.Replace(xml, "mortgage", "car loan", 1)
	for name, tc := range map[string]struct {
		signed string
		status int
		code   string
	}{
		"tampered":       {strings.Replace(good, "mortgage", "anything", 1), 422, "mobilesign.tampered"},
		"another text":   {sign("citizen:"+alice.IIN, otherDoc), 422, "mobilesign.tampered"},
		"wrapped":        {strings.Replace(sign("citizen:"+alice.IIN, otherDoc), "<text>", "<text>"+strings.TrimSuffix(strings.SplitN(xml, "<text>", 2)[1], "</consent>")+"<text>", 1), 422, "mobilesign.tampered"},
		"other citizen":  {sign("citizen:"+other.IIN, xml), 403, "mobilesign.wrong_signer"},
		"a DOCTYPE":      {`<!DOCTYPE consent [<!ENTITY x "y">]>` + good, 400, "mobilesign.malformed"},
		"not a document": {"", 400, "mobilesign.malformed"},
	} {
		if st, m := put(tc.signed); st != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", name, st, m, tc.status, tc.code)
		}
	}
	if cs, _ := a.PD.ListConsents(t.Context(), alice.IIN); len(cs) != 0 {
		t.Fatalf("a refused signature recorded %d consents", len(cs))
	}
	if st, m := put(good); st != 200 {
		t.Fatalf("good PUT: %d %v", st, m)
	}
	if st, m := put(good); st != 409 || m["code"] != "mobilesign.already_signed" {
		t.Errorf("reused PUT: %d %v", st, m)
	}
	if st, m := phone(t, "GET", link, "", nil); st != 410 || m["code"] != "mobilesign.link_used" {
		t.Errorf("reused link: %d %v", st, m)
	}
	got := readEvent(t, b.c, srv.URL+s.Events, "signed")
	form.Del("sign_format")
	form.Set("cms", got)
	st, page := b.post("/consents/confirm?lang=en", form)
	if st != 200 || !strings.Contains(page, i18n.T("en", "consent.given")) {
		t.Fatalf("confirm: %d\n%s", st, page)
	}
	cs, err := a.PD.ListConsents(t.Context(), alice.IIN)
	if err != nil || len(cs) != 1 || cs[0].Evidence.SignatureSHA256 == "" {
		t.Fatalf("consents %+v %v", cs, err)
	}
}
