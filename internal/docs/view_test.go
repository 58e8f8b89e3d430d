package docs_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DD-3: an authenticated verifier redeems the share by its QR token or its typed
// code and sees the document as formed now; after expiry, cancellation or the first
// verifier, nothing is shown. rule DD-4: each view is listed for both parties.
func TestRedeem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, func(c *docs.Config) { c.Limits.VerifierFailures = 100 }) // TestGuessing tests the limits
		ctx := t.Context()
		op := f.open(t, f.owner, docs.KindIdentityCard)

		v, err := f.svc.Redeem(ctx, f.clerk, docs.ParseSecret(strings.ToLower(op.Code[:5])+"-"+op.Code[5:]))
		if err != nil {
			t.Fatal(err)
		}
		if v.Document.Type.ID() != "identity_card/v1" || v.Document.Fields["iin"] != f.owner.IIN || !v.Document.FormedAt.Equal(f.now) {
			t.Fatalf("document %+v", v.Document)
		}
		// The same verifier may look again while the share lives; each look is a view.
		if _, err := f.svc.Redeem(ctx, f.clerk, docs.ParseSecret(op.URL)); err != nil {
			t.Fatal(err)
		}
		// One verifier per share: anyone else sees nothing.
		for _, who := range []docs.Verifier{f.alice, f.bank} {
			if _, err := f.svc.Redeem(ctx, who, docs.Secret{Token: op.Token}); code(err) != "docs.share.used" {
				t.Errorf("second verifier %s: %s", who.Kind, code(err))
			}
		}
		// The owner is not their own verifier.
		self := docs.Verifier{Subject: f.owner.Ref, Kind: docs.VerifierCitizen, IIN: f.owner.IIN}
		op2 := f.open(t, f.owner, docs.KindAddressRegistration)
		if _, err := f.svc.Redeem(ctx, self, docs.Secret{Code: op2.Code}); code(err) != "docs.share.own" {
			t.Errorf("owner as verifier: %s", code(err))
		}
		// Cancelled: nothing shown; cancelling again, or someone else's share, is refused.
		if err := f.svc.Cancel(ctx, f.other.Ref, op2.Share.ID); code(err) != "docs.not_found" {
			t.Errorf("another citizen cancels: %s", code(err))
		}
		if err := f.svc.Cancel(ctx, f.owner.Ref, op2.Share.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Cancel(ctx, f.owner.Ref, op2.Share.ID); code(err) != "docs.share.closed" {
			t.Errorf("cancel twice: %s", code(err))
		}
		if _, err := f.svc.Redeem(ctx, f.alice, docs.Secret{Code: op2.Code}); code(err) != "docs.share.cancelled" {
			t.Errorf("cancelled share: %s", code(err))
		}
		// Expired: nothing shown.
		op3 := f.open(t, f.owner, docs.KindBirthCertificate)
		f.now = f.now.Add(docs.DefaultLifetime)
		if _, err := f.svc.Redeem(ctx, f.alice, docs.Secret{Token: op3.Token}); code(err) != "docs.share.expired" {
			t.Errorf("expired share: %s", code(err))
		}
		if _, err := f.svc.Redeem(ctx, f.clerk, docs.Secret{Token: op.Token}); code(err) != "docs.share.expired" {
			t.Errorf("expired share, its own verifier: %s", code(err))
		}
		// Forged token, wrong code, malformed input.
		for _, sec := range []docs.Secret{{Token: strings.Repeat("A", 22)}, {Code: strings.Repeat("A", 10)}} {
			if _, err := f.svc.Redeem(ctx, f.alice, sec); code(err) != "docs.share.not_found" {
				t.Errorf("%+v: %s", sec, code(err))
			}
		}
		for _, sec := range []docs.Secret{{}, {Token: "short"}, {Code: "0000000000"}, {Code: "ABC"}, {Token: op.Token, Code: op.Code}} {
			if _, err := f.svc.Redeem(ctx, f.bank, sec); code(err) != "docs.secret.invalid" {
				t.Errorf("%+v: %s", sec, code(err))
			}
		}
		if _, err := f.svc.Redeem(ctx, docs.Verifier{Subject: "citizen:9", Kind: "clerk"}, docs.Secret{Token: op.Token}); code(err) != "docs.verifier.invalid" {
			t.Errorf("bad verifier: %s", code(err))
		}

		// Both cabinets list the two views; other people see none of them.
		mine, err := f.svc.ViewsAsOwner(ctx, f.owner.Ref)
		if err != nil || len(mine) != 2 || mine[0].VerifierBIN != f.clerk.BIN || mine[0].VerifierName != f.clerk.Name {
			t.Fatalf("owner's views %+v %v", mine, err)
		}
		theirs, err := f.svc.ViewsAsVerifier(ctx, f.clerk.Subject)
		if err != nil || len(theirs) != 2 || theirs[0].Kind != docs.KindIdentityCard {
			t.Fatalf("verifier's views %+v %v", theirs, err)
		}
		if l, _ := f.svc.ViewsAsOwner(ctx, f.other.Ref); len(l) != 0 {
			t.Errorf("another citizen sees %d views", len(l))
		}
		if _, err := f.svc.Viewed(ctx, f.alice.Subject, v.ID); code(err) != "docs.not_found" {
			t.Errorf("a third party reads a view: %s", code(err))
		}
		if _, err := f.svc.Share(ctx, f.other.Ref, op.Share.ID); code(err) != "docs.not_found" {
			t.Errorf("another citizen reads a share: %s", code(err))
		}
		// The outbox tells the owner: one event per view, about the owner, by the verifier.
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox_events WHERE type = ? AND subject = ? AND actor = ?`,
			docs.EventViewed, f.owner.Ref, f.clerk.Subject).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d view events, want 2 (%v)", n, err)
		}
	})
}

// rule DD-1: the live seal changes with the server's time and differs between views,
// so a screenshot shows a stale one; it stops being live when the share ends, and
// only the view's verifier can ask for it.
func TestSeal(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	ctx := t.Context()
	op := f.open(t, f.owner, docs.KindIdentityCard)
	v1, err := f.svc.Redeem(ctx, f.alice, docs.Secret{Token: op.Token})
	if err != nil {
		t.Fatal(err)
	}
	op2 := f.open(t, f.owner, docs.KindIdentityCard)
	v2, err := f.svc.Redeem(ctx, f.alice, docs.Secret{Token: op2.Token})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Seal(ctx, f.alice.Subject, v1.ID)
	if err != nil || !a.Live || !a.Now.Equal(f.now) {
		t.Fatalf("seal %+v %v", a, err)
	}
	b, _ := f.svc.Seal(ctx, f.alice.Subject, v2.ID)
	f.now = f.now.Add(docs.SealStep)
	c, _ := f.svc.Seal(ctx, f.alice.Subject, v1.ID)
	if a.Word == b.Word || a.Word == c.Word {
		t.Errorf("seal words %s %s %s: must differ between views and over time", a.Word, b.Word, c.Word)
	}
	if _, err := f.svc.Seal(ctx, f.owner.Ref, v1.ID); code(err) != "docs.not_found" {
		t.Errorf("owner asks for the verifier's seal: %s", code(err))
	}
	f.now = f.now.Add(docs.DefaultLifetime)
	if d, _ := f.svc.Seal(ctx, f.alice.Subject, v1.ID); d.Live {
		t.Error("the seal stays live after the share ended")
	}
}

// rule DC-8: each view yields a record signed by Senim naming the document type, whose
// it is, to whom it was shown, when and through which share, with the audit-log
// evidence of its event; both parties download it and it verifies offline, and any
// change to it fails.
func TestInformation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		op := f.open(t, f.owner, docs.KindDrivingLicence)
		v, err := f.svc.Redeem(ctx, f.bank, docs.Secret{Code: op.Code})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Information(ctx, f.owner.Ref, v.ID); code(err) != "docs.view.not_logged" {
			t.Fatalf("before the log integrates: %s", code(err))
		}
		f.syncLog(t)
		var bundles [][]byte
		for _, who := range []string{f.owner.Ref, f.bank.Subject} {
			b, err := f.svc.Information(ctx, who, v.ID)
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			bundles = append(bundles, b)
		}
		if _, err := f.svc.Information(ctx, f.other.Ref, v.ID); code(err) != "docs.not_found" {
			t.Errorf("a third party downloads: %s", code(err))
		}
		c, ev, err := docs.VerifyInformation(bundles[0], f.key.jwks(), f.logKey)
		if err != nil {
			t.Fatal(err)
		}
		if c.Type != "driving_licence/v1" || c.Owner.IIN != f.owner.IIN || c.Verifier.BIN != f.bank.BIN || c.Verifier.Kind != "system" ||
			c.Share != op.Share.ID || c.ID != v.ID || c.Event != ev.Event.ID || c.ViewedAt != f.now.Format(time.RFC3339Nano) {
			t.Fatalf("claims %+v", c)
		}
		if c.DocSHA256 != docs.DocumentHash(mustSalt(t, v.Salt), v.Document.Fields) {
			t.Error("doc_sha256 does not open with the salt the verifier got")
		}
		if _, _, err := docs.VerifyInformation(bundles[1], f.key.jwks(), f.logKey); err != nil {
			t.Fatalf("verifier's bundle: %v", err)
		}
		// Negative cases: another key, another log key, a changed record, evidence of
		// another event.
		// Another JWK set: only the log can then vouch for the record, through the key and
		// the record's evidence the bundle carries (TestInformationOutlivesItsKey); a
		// bundle without them is invalid.
		var bare docs.Information
		json.Unmarshal(bundles[0], &bare)
		bare.Key, bare.RecordEvidence = nil, nil
		if b, _ := json.Marshal(bare); true {
			if _, _, err := docs.VerifyInformation(b, newSigner(t).jwks(), f.logKey); code(err) != "docs.record.invalid" {
				t.Errorf("other JWKS: %s", code(err))
			}
		}
		other := newFixture(t, storetest.Open(t))
		if _, _, err := docs.VerifyInformation(bundles[0], f.key.jwks(), other.logKey); code(err) != "docs.record.invalid" {
			t.Errorf("other log key: %s", code(err))
		}
		var info docs.Information
		json.Unmarshal(bundles[0], &info)
		parts := strings.Split(info.Record, ".")
		forged := info
		forged.Record = parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2]
		if b, _ := json.Marshal(forged); true {
			if _, _, err := docs.VerifyInformation(b, f.key.jwks(), f.logKey); code(err) != "docs.record.invalid" {
				t.Errorf("changed record: %s", code(err))
			}
		}
		op2 := f.open(t, f.owner, docs.KindIdentityCard)
		v2, err := f.svc.Redeem(ctx, f.bank, docs.Secret{Token: op2.Token})
		if err != nil {
			t.Fatal(err)
		}
		f.syncLog(t)
		b2, _ := f.svc.Information(ctx, f.owner.Ref, v2.ID)
		var info2 docs.Information
		json.Unmarshal(b2, &info2)
		swapped := docs.Information{Format: info.Format, Record: info.Record, Evidence: info2.Evidence}
		if b, _ := json.Marshal(swapped); true {
			if _, _, err := docs.VerifyInformation(b, f.key.jwks(), f.logKey); code(err) != "docs.record.invalid" {
				t.Errorf("evidence of another view: %s", code(err))
			}
		}
		if _, _, err := docs.VerifyInformation([]byte(`{"format":"x"}`), f.key.jwks(), f.logKey); code(err) != "docs.record.invalid" {
			t.Errorf("not a bundle: %s", code(err))
		}
	})
}

// rule DC-7: a document is formed on every view and never stored: after shares, views
// by code and by token, a record, the audit log's integration and its evidence, none
// of the document's distinctive values is in the database file (rows, outbox, Merkle
// leaves and tiles), nor in the logs.
func TestNeverStored(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "senim.db")
	storeLogs := &syncBuffer{}
	db, err := store.Open(t.Context(), "sqlite:"+path, store.Options{Now: func() time.Time { return storetest.Now },
		Logger: slog.New(slog.NewJSONHandler(storeLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db)
	ctx := t.Context()
	var distinctive []string
	for _, kind := range []string{docs.KindIdentityCard, docs.KindDrivingLicence, docs.KindAddressRegistration, docs.KindBirthCertificate, docs.KindVehicleRegistration} {
		op := f.open(t, f.owner, kind)
		v, err := f.svc.Redeem(ctx, f.clerk, docs.Secret{Code: op.Code})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Document.FormedAt.Equal(f.now) {
			t.Errorf("%s: formed at %s", kind, v.Document.FormedAt)
		}
		for k, val := range v.Document.Fields {
			if k != "iin" && k != "name" && k != "owner_name" && len(val) >= 6 && !strings.HasPrefix(val, "SANDBOX:") && !strings.Contains(val, ".20") && !strings.Contains(val, ".19") {
				distinctive = append(distinctive, val)
			}
		}
		f.syncLog(t)
		if _, err := f.svc.Information(ctx, f.owner.Ref, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	if len(distinctive) < 8 {
		t.Fatalf("only %d distinctive values: %q", len(distinctive), distinctive)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	files = append(files, storeLogs.Bytes(), f.logs.Bytes())
	for _, val := range distinctive {
		for i, b := range files {
			if bytes.Contains(b, []byte(val)) {
				t.Errorf("document value %q found in stored bytes (file %d of %d; the last is the log)", val, i, len(files))
			}
		}
	}
	if len(storeLogs.Bytes()) == 0 {
		t.Error("the store logged nothing: the log check would be empty")
	}
}

func mustSalt(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64Decode(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("salt %q", s)
	}
	return b
}

// rule DC-8: a digital information record stays verifiable after its signing key has
// left the JWK set (a retired key does a year after its retirement; a record is kept
// for years). The bundle carries the key and the log evidence of the record's own event,
// which binds the record's SHA-256: with them the record verifies against a JWK set
// without its key. Without that evidence, with another view's, with another key, with a
// changed record or under another log's key it does not; the evidence is checked
// whenever present, with the key in the set too.
func TestInformationOutlivesItsKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		redeem := func(kind string) *docs.Information {
			t.Helper()
			op := f.open(t, f.owner, kind)
			v, err := f.svc.Redeem(ctx, f.bank, docs.Secret{Code: op.Code})
			if err != nil {
				t.Fatal(err)
			}
			f.syncLog(t)
			b, err := f.svc.Information(ctx, f.bank.Subject, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			var info docs.Information
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatal(err)
			}
			if len(info.RecordEvidence) == 0 || len(info.Key) == 0 {
				t.Fatalf("the bundle lacks the record's evidence or key: %s", b)
			}
			return &info
		}
		info, info2 := redeem(docs.KindDrivingLicence), redeem(docs.KindIdentityCard)
		without := newSigner(t).jwks() // a JWK set that no longer holds the record's key
		check := func(i docs.Information, jwks []byte, logKey note.Verifier) error {
			b, _ := json.Marshal(i)
			_, _, err := docs.VerifyInformation(b, jwks, logKey)
			return err
		}
		if err := check(*info, without, f.logKey); err != nil {
			t.Fatalf("the record after its key left the set: %v", err)
		}
		if err := check(*info, f.key.jwks(), f.logKey); err != nil {
			t.Fatalf("the record with its key in the set: %v", err)
		}
		other := newFixture(t, storetest.Open(t))
		parts := strings.Split(info.Record, ".")
		for name, c := range map[string]struct {
			mod    func(i *docs.Information)
			jwks   []byte
			logKey note.Verifier
		}{
			"no record evidence":                {func(i *docs.Information) { i.RecordEvidence = nil }, without, f.logKey},
			"another view's record evidence":    {func(i *docs.Information) { i.RecordEvidence = info2.RecordEvidence }, without, f.logKey},
			"another view's, key in the set":    {func(i *docs.Information) { i.RecordEvidence = info2.RecordEvidence }, f.key.jwks(), f.logKey},
			"another key":                       {func(i *docs.Information) { s := newSigner(t); i.Key, _ = s.PublicJWK(ctx, s.kid) }, without, f.logKey},
			"no key":                            {func(i *docs.Information) { i.Key = nil }, without, f.logKey},
			"a changed record":                  {func(i *docs.Information) { i.Record = parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2] }, without, f.logKey},
			"another log's key":                 {func(i *docs.Information) {}, without, other.logKey},
			"the view's evidence as the record": {func(i *docs.Information) { i.RecordEvidence = i.Evidence }, without, f.logKey},
		} {
			i := *info
			c.mod(&i)
			if err := check(i, c.jwks, c.logKey); code(err) != "docs.record.invalid" {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}
