package cms_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// AddTimeStamps raises a CMS to CAdES-T: only the signer without a time-stamp
// gets one, every signed part is kept byte for byte, the time-stamp verifies,
// and a second call changes nothing. Refusals: no TSA when one is needed, a
// detached CMS without its content, other content, a CMS that does not parse.
func TestAddTimeStamps(t *testing.T) {
	ctx := context.Background()
	at := date(2026, 11, 1)
	tsa := newTSA(t, eds.KeyGOST2015_512, func() time.Time { return at }, func() time.Time { return at })
	content := []byte("extend me")
	first, err := cms.Sign(ctx, content, []cms.SignerSpec{ncaSpec(t, "individual/valid/individual_valid.p12")},
		cms.SignOptions{TSA: tsa.local, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	two, err := cms.AddSigner(ctx, first, nil, ncaSpec(t, "legal/valid/head.p12"), cms.SignOptions{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := signeddata.Parse(two)

	out, n, err := cms.AddTimeStamps(ctx, two, nil, tsa.local)
	if err != nil || n != 1 {
		t.Fatalf("added %d: %v", n, err)
	}
	after, err := signeddata.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Signers[0].Raw, before.Signers[0].Raw) {
		t.Error("the already time-stamped signer changed")
	}
	if !bytes.Equal(after.Signers[1].RawSignedAttrs, before.Signers[1].RawSignedAttrs) ||
		!bytes.Equal(after.Signers[1].Signature, before.Signers[1].Signature) {
		t.Error("the signed part of the second signer changed")
	}
	res, err := cms.Verify(ctx, out, nil, cms.VerifyOptions{TSAValidator: tsa.v, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Signers {
		if s.TimeStamp == nil || !s.TimeStamp.Valid {
			t.Errorf("signer %d: time-stamp %+v", i, s.TimeStamp)
		}
	}
	again, n, err := cms.AddTimeStamps(ctx, out, content, nil) // nothing needed: no TSA needed either
	if err != nil || n != 0 || !bytes.Equal(again, out) {
		t.Errorf("second call: %d, %v", n, err)
	}

	det, err := cms.Sign(ctx, content, []cms.SignerSpec{ncaSpec(t, "individual/valid/individual_valid.p12")},
		cms.SignOptions{Detached: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		cms     []byte
		content []byte
		tsa     cms.TimeStamper
		want    error
	}{
		{"no TSA", two, nil, nil, cms.ErrNoTimeStamper},
		{"detached without content", det, nil, tsa.local, cms.ErrDetachedContentMissing},
		{"detached, other content", det, []byte("other"), tsa.local, cms.ErrDigestMismatch},
		{"attached, other content", two, []byte("other"), tsa.local, cms.ErrContentConflict},
		{"not a CMS", []byte("nope"), nil, tsa.local, cms.ErrMalformed},
		{"truncated", two[:len(two)-7], nil, tsa.local, cms.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := cms.AddTimeStamps(ctx, c.cms, c.content, c.tsa); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, n, err := cms.AddTimeStamps(ctx, det, content, tsa.local); err != nil || n != 1 {
		t.Errorf("detached with its content: %d, %v", n, err)
	}
}
