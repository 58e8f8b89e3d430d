package archive

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/edsfast"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Ingest of a 100 KB document with one GOST 2015-512 signer: the signature time-stamp
// from a local GOST 2015-512 TSA, the chain to the root checked, revocation by a CRL
// already parsed and checked (cached), the CAdES-LT built. BenchmarkMakeLT is the
// signature work alone; BenchmarkIngest adds the blobs, rows and event on SQLite.
func BenchmarkMakeLT(b *testing.B) {
	edsfast.Use(edsfast.Fast) // as senim serve does
	w := newWorld(b)
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	val := w.validation(w.crl())
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, _, err := MakeLT(b.Context(), sig, content, val); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMakeLTTimeStamped: the signature arrives already time-stamped (CAdES-T, as
// NCALayer makes with a TSA): ingest verifies and embeds, no TSA signing in the loop.
func BenchmarkMakeLTTimeStamped(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")},
		cms.SignOptions{Detached: true, TSA: w.tsa1, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	val := w.validation(w.crl())
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, _, err := MakeLT(b.Context(), sig, content, val); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIngest(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	db := storetest.OpenEngine(b, store.SQLite)
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	alice := w.signer("Alice")
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, err := svc.Ingest(b.Context(), "org:900140000009", "a.txt", content, [][]byte{sig}); err != nil {
			b.Fatal(err)
		}
	}
}

// 100,000 documents sealed into one evidence record batch (one hash tree, one
// time-stamp, each document's path), then renewed with one time-stamp in their
// standalone form (each record parsed, its token extended, re-encoded).
func BenchmarkSealAndRenew100k(b *testing.B) {
	const n = 100_000
	w := newWorld(b)
	docs := make([]*Document, n)
	for i := range docs {
		docs[i] = &Document{Content: fmt.Appendf(nil, "document %d", i), Signatures: [][]byte{fmt.Appendf(nil, "signature %d", i)}}
	}
	crl := w.crl()
	for b.Loop() {
		start := time.Now()
		ers, err := SealDocuments(b.Context(), w.tsa1, Policy{}, docs, []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}, [][]byte{crl.Raw})
		if err != nil {
			b.Fatal(err)
		}
		sealed := time.Since(start)
		start = time.Now()
		w.clock = day(2030, 6, 1)
		if _, err := RenewRecords(b.Context(), w.tsa2, ers, []*x509.Certificate{w.root.Cert}, [][]byte{crl.Raw}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(sealed.Seconds(), "seal-s")
		b.ReportMetric(time.Since(start).Seconds(), "renew-s")
		w.clock = day(2026, 6, 2)
	}
}
