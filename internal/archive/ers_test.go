package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// Every leaf of trees of every size up to 33 leads to the root by RFC 4998's
// verification (sorted concatenation, the computed hash joining the next list), and a
// changed hash does not.
func TestTreePaths(t *testing.T) {
	h := sha256.New
	for n := 1; n <= 33; n++ {
		groups := make([][][]byte, n)
		for i := range groups {
			a := sha256.Sum256(fmt.Appendf(nil, "content %d", i))
			b := sha256.Sum256(fmt.Appendf(nil, "signature %d", i))
			groups[i] = [][]byte{a[:], b[:]}
		}
		tr := buildTree(h, groups)
		root := hashOf(h, tr.preRoot)
		for i := range groups {
			got, err := rootOf(h, tr.path(i), groups[i])
			if err != nil || !bytes.Equal(got, root) {
				t.Fatalf("n=%d leaf %d: %x %v, want %x", n, i, got, err, root)
			}
			bad := sha256.Sum256([]byte("other"))
			if _, err := rootOf(h, tr.path(i), [][]byte{bad[:]}); !errors.Is(err, ErrNotCovered) {
				t.Fatalf("n=%d leaf %d: another object covered: %v", n, i, err)
			}
			if n > 1 {
				if got, _ := rootOf(h, tr.path((i+1)%n), groups[(i+1)%n]); !bytes.Equal(got, root) {
					t.Fatal("neighbour path")
				}
			}
		}
	}
}

// rule DC-6: equal groups (the same document stored twice, sealed in one batch) share
// a leaf, and every group's path still reaches the root; a tree of two equal leaves
// would give a root that rootOf cannot reach.
func TestTreeEqualGroups(t *testing.T) {
	h := sha256.New
	a := sha256.Sum256([]byte("content"))
	b := sha256.Sum256([]byte("signature"))
	c := sha256.Sum256([]byte("other"))
	same := [][]byte{a[:], b[:]}
	for _, groups := range [][][][]byte{
		{same, same},
		{same, {b[:], a[:]}, {c[:]}},
		{{c[:]}, same, same, same, {a[:]}},
	} {
		tr := buildTree(h, groups)
		root := hashOf(h, tr.preRoot)
		for i := range groups {
			if got, err := rootOf(h, tr.path(i), groups[i]); err != nil || !bytes.Equal(got, root) {
				t.Fatalf("%d groups, group %d: %v", len(groups), i, err)
			}
		}
	}
	// The duplicate leaf itself is what broke: a pair of equal nodes.
	pair := hashOf(h, append(append([]byte(nil), hashOf(h, append(a[:], b[:]...))...), hashOf(h, append(a[:], b[:]...))...))
	if got, _ := rootOf(h, [][][]byte{same, {hashOf(h, append(a[:], b[:]...))}}, same); bytes.Equal(got, pair) {
		t.Fatal("rootOf reaches a pair of equal nodes: the deduplication is not needed")
	}
}

func TestEvidenceRecordRoundTrip(t *testing.T) {
	ts := []byte{0x30, 0x03, 0x02, 0x01, 0x05} // a stand-in ContentInfo: Marshal and Parse do not read it
	er := &EvidenceRecord{
		DigestAlgorithms: []asn1.ObjectIdentifier{oidSHA256},
		Chains: [][]ArchiveTimeStamp{{
			{DigestAlgorithm: oidSHA256, ReducedHashtree: [][][]byte{{bytes.Repeat([]byte{1}, 32)}, {}}, TimeStamp: ts},
			{DigestAlgorithm: oidSHA256, TimeStamp: ts},
		}},
	}
	der, err := er.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEvidenceRecord(der)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if !bytes.Equal(der, again) || got.Chains[0][1].ReducedHashtree != nil || len(got.Chains[0][0].ReducedHashtree[1]) != 0 {
		t.Fatalf("round trip: %x\n%x", der, again)
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, der[:len(der)-1], append(der, 0)} {
		if _, err := ParseEvidenceRecord(bad); !errors.Is(err, ErrMalformedRecord) {
			t.Errorf("%x: %v", bad, err)
		}
	}
}

func FuzzParseEvidenceRecord(f *testing.F) {
	ts := []byte{0x30, 0x03, 0x02, 0x01, 0x05}
	er := &EvidenceRecord{DigestAlgorithms: []asn1.ObjectIdentifier{oidSHA256},
		Chains: [][]ArchiveTimeStamp{{{DigestAlgorithm: oidSHA256, ReducedHashtree: [][][]byte{{{1, 2}}, {}}, TimeStamp: ts}}}}
	der, _ := er.Marshal()
	f.Add(der)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		er, err := ParseEvidenceRecord(b)
		if err != nil {
			return
		}
		if _, err := er.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzVerifyRecord: whatever a record holds, verification answers with a result (an
// error with a code when it does not hold) and never panics; what it accepts covers the
// objects it was given.
func FuzzVerifyRecord(f *testing.F) {
	w := newWorld(f)
	cfg, err := w.root.TSA(eds.KeyECDSA, "TSA ECDSA", day(2026, 1, 1), day(2031, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		f.Fatal(err)
	}
	d := &Document{Content: []byte("content"), Signatures: [][]byte{[]byte("signature")}}
	ers, err := SealDocuments(f.Context(), &tsp.Local{Config: cfg}, Policy{Hash: oidSHA256}, []*Document{d}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ers[0])
	f.Add([]byte{0x30, 0x00})
	// A record of two chains (hash-tree renewal to Streebog-512).
	w.clock = w.clock.Add(time.Hour)
	two, err := RenewHashTrees(f.Context(), &tsp.Local{Config: cfg}, oidStreebog512, []HashTreeInput{{Record: ers[0], Objects: d.Objects()}}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(two[0])
	trust := w.trust()
	f.Fuzz(func(t *testing.T, b []byte) {
		er, err := ParseEvidenceRecord(b)
		if err != nil {
			return
		}
		res := VerifyRecord(context.Background(), er, d.Objects(), trust, day(2027, 1, 1), Policy{})
		if !res.Valid && res.Err == nil {
			t.Fatal("invalid without a reason")
		}
		if res.Valid && !bytes.Equal(b, ers[0]) && !bytes.Equal(b, two[0]) {
			// Another encoding may verify only if it covers the same objects.
			if r := VerifyRecord(context.Background(), er, [][]byte{[]byte("other")}, trust, day(2027, 1, 1), Policy{}); r.Valid {
				t.Fatal("a record covers unrelated data")
			}
		}
	})
}
