package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"flag"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/tsp"
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

// remoteTSA stands for the NCA's TSA: the token for the one imprint the benchmark asks
// about is made once, before the timer, by the local TSA; asking again returns it, so
// the TSA's signing is not on Senim's CPU (as with a TSA across the network). Any other
// imprint is refused.
type remoteTSA struct {
	alg  asn1.ObjectIdentifier
	data []byte
	tok  []byte
}

func newRemoteTSA(b *testing.B, tsa *tsp.Local, sig []byte) *remoteTSA {
	sd, err := signeddata.Parse(sig)
	if err != nil {
		b.Fatal(err)
	}
	si := sd.Signers[0]
	tok, err := tsa.TimeStamp(b.Context(), si.DigestAlgorithm, si.Signature)
	if err != nil {
		b.Fatal(err)
	}
	return &remoteTSA{alg: si.DigestAlgorithm, data: si.Signature, tok: tok}
}

func (r *remoteTSA) TimeStamp(_ context.Context, alg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	if !alg.Equal(r.alg) || !bytes.Equal(data, r.data) {
		return nil, fmt.Errorf("remoteTSA: another imprint")
	}
	return r.tok, nil
}

// BenchmarkMakeLTRemoteTSA: a CAdES-BES signature whose time-stamp comes from a TSA
// elsewhere (the NCA's): Senim's own ingest CPU, the token still parsed and verified.
func BenchmarkMakeLTRemoteTSA(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	val := w.validation(w.crl())
	val.TSA = newRemoteTSA(b, w.tsa1, sig)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, _, err := MakeLT(b.Context(), sig, content, val); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTSASign is the in-process GOST 2015-512 TSA alone making one token over a
// signature value (GOST signing over crypto/elliptic's generic Jacobian arithmetic since
// 2026-12-06, go-cryptobin's affine Exp before): the part of BenchmarkMakeLT that the
// NCA's TSA does in production.
func BenchmarkTSASign(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	sig := make([]byte, 128)
	rand.Read(sig)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, err := w.tsa1.TimeStamp(b.Context(), oidStreebog512, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngestRemoteTSA is BenchmarkIngest with the signature time-stamp from a TSA
// elsewhere: Senim's whole ingest on SQLite.
func BenchmarkIngestRemoteTSA(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	db := storetest.OpenEngine(b, store.SQLite)
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	val := w.validation(w.crl())
	val.TSA = newRemoteTSA(b, w.tsa1, sig)
	svc, err := New(Config{DB: db, Validation: val, Now: func() time.Time { return w.clock }})
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
		renewed := time.Since(start)
		// Hash-tree renewal of all 100,000 (RFC 4998 5.2): every data object hashed
		// again with SHA-512, each record's sequence hashed, one new tree, one time-stamp.
		start = time.Now()
		w.clock = day(2030, 6, 2)
		in := make([]HashTreeInput, n)
		for i := range in {
			in[i] = HashTreeInput{Record: ers[i], Objects: docs[i].Objects()}
		}
		if _, err := RenewHashTrees(b.Context(), w.tsa2, oidSHA512, in, []*x509.Certificate{w.root.Cert}, [][]byte{crl.Raw}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(sealed.Seconds(), "seal-s")
		b.ReportMetric(renewed.Seconds(), "renew-s")
		b.ReportMetric(time.Since(start).Seconds(), "hashtree-s")
		w.clock = day(2026, 6, 2)
	}
}

// Export and read back of a 100 KB document with two GOST 2015-512 signature files
// (CAdES-LT), as ASiC-S (the files combined into one SignedData) and as ASiC-E, in the
// same run: the container work alone, no verification.
func BenchmarkContainer(b *testing.B) {
	w := newWorld(b)
	content := make([]byte, 100<<10)
	rand.Read(content)
	first := w.archiveDoc(content, w.signer("Alice"))
	second := w.archiveDoc(content, w.signer("Bob"))
	doc := &Document{Name: "contract.bin", Content: content, Signatures: [][]byte{first.Signatures[0], second.Signatures[0]}}
	for _, form := range []struct {
		name  string
		write func(io.Writer, *Document, time.Time) error
		read  func([]byte, Limits) (*Document, error)
	}{{"ASiC-S", WriteASiCS, ReadASiCS}, {"ASiC-E", WriteASiCE, ReadASiCE}} {
		b.Run(form.name, func(b *testing.B) {
			var buf bytes.Buffer
			defer reportCPU(b, cpuTime())
			for b.Loop() {
				buf.Reset()
				if err := form.write(&buf, doc, w.clock); err != nil {
					b.Fatal(err)
				}
				if _, err := form.read(buf.Bytes(), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}

// The blob collector over an archive of 100,000 documents (200,000 blobs: content and
// one signature each, all older than the grace period) and 100 orphans, on SQLite: it
// lists every old blob, asks which are referenced 500 at a time, and removes the
// orphans one by one. Only the collection is timed; the job does this daily.
func BenchmarkCollectBlobs100k(b *testing.B) {
	const n, orphans = 100_000, 100
	w := newWorld(b)
	db := storetest.OpenEngine(b, store.SQLite)
	clock := func() time.Time { return w.clock }
	svc, err := New(Config{DB: db, TSA: w.tsa1, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		w.clock = day(2026, 6, 1).Add(time.Duration(round) * 3 * DefaultBlobGrace)
		err := db.Tx(b.Context(), func(tx *store.Tx) error {
			put := func(addr string) error {
				_, err := tx.ExecContext(b.Context(), `INSERT INTO archive_blobs (sha256, bytes, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
					addr, []byte{1}, store.Micros(w.clock))
				return err
			}
			for i := range n {
				c, s := Address(fmt.Appendf(nil, "content %d", i)), Address(fmt.Appendf(nil, "signature %d", i))
				id, err := tx.InsertID(b.Context(), `INSERT INTO archive_documents (public_id, name, content_sha256, content_size, owner, created_at)
					VALUES (?, 'x', ?, 1, 'org:1', 0) RETURNING id`, fmt.Sprintf("bench-%d-%d", round, i), c)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(b.Context(), `INSERT INTO archive_signatures (document_id, seq, sha256) VALUES (?, 0, ?)`, id, s); err != nil {
					return err
				}
				if err := put(c); err != nil {
					return err
				}
				if err := put(s); err != nil {
					return err
				}
			}
			for i := range orphans {
				if err := put(Address(fmt.Appendf(nil, "orphan %d", i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		w.clock = w.clock.Add(2 * DefaultBlobGrace)
		b.StartTimer()
		cpu := cpuTime()
		got, err := svc.CollectBlobs(b.Context(), 0)
		if err != nil || got != orphans {
			b.Fatalf("collected %d, %v; want %d", got, err, orphans)
		}
		b.ReportMetric(float64(cpuTime()-cpu)/1e6, "collect-cpu-ms")
	}
}

// BenchmarkIngestTSA256 is BenchmarkIngest with the in-process TSA's key a GOST 2015-256
// one instead of 512 (the signer stays GOST 2015-512, the imprint Streebog-512): what a
// local TSA costs when its key is the shorter of the two GOST 2015 sizes. The figure is
// for the author's choice in issue 14 (docs/performance.md), not a default: the sandbox
// TSA keeps its 512-bit key.
func BenchmarkIngestTSA256(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	now := func() time.Time { return w.clock }
	c, err := w.root.TSA(eds.KeyGOST2015_256, "TSA 2026 (256)", day(2026, 1, 1), day(2031, 1, 1), now)
	if err != nil {
		b.Fatal(err)
	}
	val := w.validation(w.crl())
	val.TSA = &tsp.Local{Config: c}
	db := storetest.OpenEngine(b, store.SQLite)
	svc, err := New(Config{DB: db, Validation: val, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: now})
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

// BenchmarkIngestParallel is BenchmarkIngest with b.RunParallel: as many ingests at
// once as GOMAXPROCS (both cores of the 2-vCPU VM busy), SQLite's single writer
// included. It reports documents per second of wall time (docs/s) besides the CPU per
// document: the figure issue 14's 300/s is about.
// ingestClients is BenchmarkIngestParallel's goroutines per GOMAXPROCS: requests in
// flight at once, as a server has from many clients. With one per core, each waits for
// its commit's fsync in turn and the cores stand partly idle.
var ingestClients = flag.Int("ingest-clients", 4, "BenchmarkIngestParallel: concurrent ingests per GOMAXPROCS")

func BenchmarkIngestParallel(b *testing.B) {
	edsfast.Use(edsfast.Fast)
	w := newWorld(b)
	db := storetest.OpenEngine(b, store.SQLite)
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	content := make([]byte, 100<<10)
	rand.Read(content)
	sig, err := cms.Sign(b.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(*ingestClients)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Ingest(b.Context(), "org:900140000009", "a.txt", content, [][]byte{sig}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if b.N > 0 {
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
	}
}

// seedActions gives each of parties docs documents of its own, co-owned by an
// organisation, each with the events a document page shows: its ingest, the owner's
// view, the organisation's export and view — as Ingest, Open and Export record them
// (emit), without the signature work. It returns the public ids of the first party's
// documents, oldest first.
func seedActions(tb testing.TB, svc *Service, db *store.DB, docs int, parties ...string) []string {
	tb.Helper()
	ctx := tb.Context()
	const org = "org:900140000009"
	var ids []string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ids = ids[:0]
		for _, party := range parties {
			for i := range docs {
				pub := fmt.Sprintf("%s-doc-%d", party, i)
				id, err := tx.InsertID(ctx, `INSERT INTO archive_documents (public_id, name, content_sha256, content_size, owner, created_at)
					VALUES (?, 'a.txt', ?, 1, ?, 0) RETURNING id`, pub, Address([]byte(pub)), party)
				if err != nil {
					return err
				}
				for _, p := range []string{party, org} {
					if _, err := tx.ExecContext(ctx, `INSERT INTO archive_parties (document_id, party) VALUES (?, ?)`, id, p); err != nil {
						return err
					}
				}
				if err := svc.emit(ctx, tx, EvIngested, party, pub, map[string]any{"signatures": 1}); err != nil {
					return err
				}
				for _, ev := range []struct{ typ, who string }{{EvViewed, party}, {EvExported, org}, {EvViewed, org}} {
					if err := svc.emit(ctx, tx, ev.typ, ev.who, pub, nil); err != nil {
						return err
					}
				}
				if party == parties[0] {
					ids = append(ids, pub)
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// BenchmarkActions is a document page's history (Actions) for a citizen who has 5,000
// archived documents with 4 actions each (20,000 events in her history), in an outbox
// that holds as many of a second citizen's: one call for a document in the middle of
// her archive. Per engine available (PostgreSQL with SENIM_TEST_DATABASE_URL); on
// PostgreSQL cpu-ms/op is the client's CPU only, ns/op includes the server's work.
func BenchmarkActions(b *testing.B) {
	const docs = 5000
	for _, e := range storetest.EnginesAvailable() {
		b.Run(string(e), func(b *testing.B) {
			w := newWorld(b)
			db := storetest.OpenEngine(b, e)
			svc, err := New(Config{DB: db, TSA: w.tsa1, Now: func() time.Time { return w.clock }})
			if err != nil {
				b.Fatal(err)
			}
			ids := seedActions(b, svc, db, docs, "citizen:1", "citizen:2")
			id := ids[docs/2]
			b.ResetTimer()
			defer reportCPU(b, cpuTime())
			for b.Loop() {
				acts, err := svc.Actions(b.Context(), "citizen:1", id)
				if err != nil || len(acts) != 4 {
					b.Fatalf("%d actions, %v; want 4", len(acts), err)
				}
			}
		})
	}
}
