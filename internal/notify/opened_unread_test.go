package notify

import (
	"errors"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The unread count an opening carries for the page's header is the count Unread gives
// after it: lowered by the opening that reads a notice (a plain one opened, a legally
// significant one acknowledged), not by the acknowledgement screen nor by opening
// again, and exact around the cap ("99+").
func TestOpenedUnread(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		rd := reader(alice, iinAlice)
		check := func(what string, o *Opened, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			want, _, err := f.svc.Unread(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if o.Unread != want {
				t.Fatalf("%s: the opening says %d unread, Unread counts %d", what, o.Unread, want)
			}
		}
		send := func(significant bool) string {
			n, err := f.svc.Send(ctx, message(alice, significant))
			if err != nil {
				t.Fatal(err)
			}
			return n.Ref
		}
		legal, plain := send(true), send(false)
		send(false)
		o, err := f.svc.Open(ctx, rd, plain)
		check("a plain notice read", o, err)
		if o.Unread != 2 {
			t.Fatalf("after reading one of three: %d", o.Unread)
		}
		o, err = f.svc.Open(ctx, rd, plain)
		check("opened again", o, err)
		o, err = f.svc.Open(ctx, rd, legal)
		check("the acknowledgement screen", o, err)
		if !o.NeedsAcknowledgement || o.Unread != 2 {
			t.Fatalf("the acknowledgement screen: %+v", o)
		}
		o, err = f.svc.Acknowledge(ctx, rd, legal)
		check("acknowledged", o, err)
		if o.Unread != 1 {
			t.Fatalf("after the acknowledgement: %d", o.Unread)
		}
		o, err = f.svc.Acknowledge(ctx, rd, legal)
		check("acknowledged again", o, err)
		o, err = f.svc.Open(ctx, rd, legal)
		check("reopened", o, err)

		// Around the cap: UnreadCap+2 unread, then one fewer at each reading.
		var refs []string
		for range UnreadCap + 1 {
			refs = append(refs, send(false))
		}
		o, err = f.svc.Open(ctx, rd, plain)
		check("a read notice opened past the cap", o, err)
		if o.Unread != UnreadCap {
			t.Fatalf("past the cap: %d", o.Unread)
		}
		for i, ref := range refs[:3] {
			o, err := f.svc.Open(ctx, rd, ref)
			check("at the cap", o, err)
			if want := min(UnreadCap+1-i, UnreadCap); o.Unread != want {
				t.Fatalf("at the cap, reading %d: %d, want %d", i, o.Unread, want)
			}
		}
		// Negative: another citizen's notice is not opened and counts nothing.
		if _, err := f.svc.Open(ctx, reader(bob, iinBob), refs[5]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bob opened alice's notice: %v", err)
		}
	})
}
