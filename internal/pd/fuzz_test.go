package pd

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/store/storetest"
)

// FuzzVerificationToken feeds the verification-token parser (JWS and CMS forms) and the
// checks of flows 1 and 2 arbitrary input: nothing may panic, and nothing but a valid
// token signed by the caller may issue.
func FuzzVerificationToken(f *testing.F) {
	fx := newFixture(f, storetest.Open(f))
	police := orgOf(f, binPolice, ca.GOST2015)
	f.Add(fx.protoVT(police, nil))
	f.Add(fx.vt(police, nil))
	c := VerificationClaims{Issuer: binPolice, Subject: iinAdult, IssuedAt: fx.now.Unix(), ID: "x", Mode: "protocol", GroundCode: "CPC-199",
		Consent: &ConsentClaim{}, Owner: binRegister, Scope: []string{"identity"}}
	b, _ := json.Marshal(c)
	der, err := cms.Sign(f.Context(), b, []cms.SignerSpec{{Signer: police.key, Cert: police.chain[0], Chain: police.chain[1:]}}, cms.SignOptions{Now: fx.clock})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base64.StdEncoding.EncodeToString(der))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		fx.svc.Protocol(t.Context(), police.caller, tok)
		fx.svc.Proactive(t.Context(), police.caller, tok)
	})
}
