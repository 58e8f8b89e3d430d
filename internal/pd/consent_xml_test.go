package pd

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func signXML(t testing.TB, is *ca.Issued, doc string) []byte {
	t.Helper()
	out, err := xmldsig.Sign([]byte(doc), is.Key, append([]*x509.Certificate{is.Certificate}, is.Chain...), xmldsig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rule PD-6.1.1: a cabinet consent may be confirmed by an XML-DSig signature over the
// consent text as an XML document (ConsentXML) — the same text, the same checks as a
// CMS: a tampered document, another consent's document, a document with the signed
// text wrapped beside a forged one, and another person's signature are refused with
// pd.consent.signature_invalid and record nothing.
func TestGiveConsentXML(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		me := f.person(iinAdult)
		req := cabinetReq(f, iinAdult)
		req.Lang = "ru"
		doc, err := f.svc.ConsentXMLFor(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := f.svc.ConsentTextFor(t.Context(), req)
		if !strings.Contains(doc, `lang="ru"`) || !strings.HasPrefix(doc, `<consent xmlns="urn:senim:consent:1"`) {
			t.Fatalf("document %s", doc)
		}
		good := signXML(t, me, doc)
		otherReq := req
		otherReq.Purpose = "something else"
		otherDoc, _ := f.svc.ConsentXMLFor(t.Context(), otherReq)
		for name, sig := range map[string][]byte{
			"tampered":         bytes.Replace(good, []byte("loan"), []byte("lease"), 1),
			"another consent":  signXML(t, me, otherDoc),
			"wrapped":          []byte(strings.Replace(string(signXML(t, me, otherDoc)), "<text>", "<text>"+text+"</text><text>", 1)),
			"another person":   signXML(t, f.person(iinOther), doc),
			"format v1 signed": signXML(t, me, ConsentXML(ConsentText(req), "")),
		} {
			t.Run(name, func(t *testing.T) {
				bad := req
				bad.Signature = sig
				_, err := f.svc.GiveConsent(t.Context(), bad)
				wantCode(t, err, "pd.consent.signature_invalid", "PD-6.1.1")
			})
		}
		if countEvents(t, db, "pd.consent.given") != 0 {
			t.Fatal("a refused signature recorded a consent")
		}
		req.Signature = good
		c, err := f.svc.GiveConsent(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if c.Method != "eds" || c.Evidence.SignerSerial == "" || c.Evidence.TextSHA256 != sha([]byte(text)) || c.Evidence.SignatureSHA256 != sha(good) {
			t.Errorf("%+v", c.Evidence)
		}
	})
}

// ConsentXML escapes the text as canonical XML does, so a text with markup characters
// or a carriage return is still exactly what is signed.
func TestConsentXMLEscapes(t *testing.T) {
	got := ConsentXML("a & <b>\r\n", "")
	if got != `<consent xmlns="urn:senim:consent:1"><text>a &amp; &lt;b&gt;&#xD;`+"\n"+`</text></consent>` {
		t.Fatal(got)
	}
}
