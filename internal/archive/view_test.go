package archive

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
)

// rule DC-6: a signer whose signing time no valid signature time-stamp proves has
// "signed_at": null in the report (the API's JSON), never a zero time; a proven time is
// given. Before, the API said "0001-01-01T00:00:00Z", which a client would show as a
// date.
func TestViewSigningTimeNotProven(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	signer := func(ts *cms.TimeStampInfo) cms.SignerResult {
		return cms.SignerResult{CertInfo: &pki.CertInfo{Subject: pki.Subject{CommonName: "Alice"}}, TimeStamp: ts}
	}
	rep := &Report{At: at.AddDate(1, 0, 0), Signatures: []SignatureReport{{Result: &cms.Result{Signers: []cms.SignerResult{
		signer(nil), // no time-stamp
		signer(&cms.TimeStampInfo{Valid: false, GenTime: at}), // one that does not hold
		signer(&cms.TimeStampInfo{Valid: true, GenTime: at}),  // proven
	}}}}}
	v := rep.View()
	if v.Signers[0].SignedAt != nil || v.Signers[1].SignedAt != nil || v.Signers[2].SignedAt == nil || !v.Signers[2].SignedAt.Equal(at) {
		t.Fatalf("signed_at: %v %v %v", v.Signers[0].SignedAt, v.Signers[1].SignedAt, v.Signers[2].SignedAt)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"signed_at":null`); n != 2 || strings.Contains(string(b), "0001-01-01") || !strings.Contains(string(b), `"signed_at":"2026-05-01T10:00:00Z"`) {
		t.Fatalf("JSON: %s", b)
	}
}
