package notify

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkSubmit accepts notices through the sending path (Submit: permission,
// content, addressee, idempotency key, notice, queued channels and status event in one
// transaction) on the default SQLite store, the citizen with e-mail switched on so
// each notice also queues a delivery. Run in parallel: the store serializes writers.
func BenchmarkSubmit(b *testing.B) {
	db := storetest.Open(b)
	f := &fixture{db: db, key: newSigner(b)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: f.key, Issuer: "https://senim.test",
		Citizens: citizens, Channels: []Channel{&fakeChannel{name: ChannelEmail}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	svc.SetSender(ctx, "bench", binTax, []string{"tax"})
	svc.SetPref(ctx, alice, ChannelEmail, true, "alice@example.kz")
	content := message(alice, true).Content
	b.ReportAllocs()
	b.SetParallelism(8) // like many API clients at once
	b.ResetTimer()
	var seq int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := atomicAdd(&seq)
			k := "k" + strconv.FormatInt(n, 10)
			if _, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, Content: content},
				&IdemKey{Key: k, Body: []byte(k)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
}

// BenchmarkAcknowledge confirms reading of legally significant notices with a signed
// read receipt (DC-2): the acknowledgement screen's POST, one notice each.
func BenchmarkAcknowledge(b *testing.B) {
	db := storetest.Open(b)
	f := &fixture{db: db, key: newSigner(b)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: f.key, Issuer: "https://senim.test", Citizens: citizens})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	svc.SetSender(ctx, "bench", binTax, []string{"tax"})
	content := message(alice, true).Content
	refs := make([]string, b.N)
	for i := range refs {
		k := "k" + strconv.Itoa(i)
		a, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, Content: content}, &IdemKey{Key: k, Body: []byte(k)})
		if err != nil {
			b.Fatal(err)
		}
		refs[i] = a.ID
	}
	rd := reader(alice, iinAlice)
	b.ReportAllocs()
	b.SetParallelism(8) // like many API clients at once
	b.ResetTimer()
	var seq int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := atomicAdd(&seq) - 1
			if _, err := svc.Acknowledge(ctx, rd, refs[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

func atomicAdd(p *int64) int64 { return atomic.AddInt64(p, 1) }
