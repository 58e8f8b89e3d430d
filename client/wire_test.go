package client_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/webhook"
)

// TestWireTypesMatchPD pins the client's wire types to the server's: every JSON member
// the client sends is one pd decodes (pd refuses unknown members), and every member it
// reads is one pd writes, with the same JSON shape. The client cannot import pd's
// types (it is public and pd is internal), so this test keeps the two in step.
func TestWireTypesMatchPD(t *testing.T) {
	for _, tc := range []struct {
		name       string
		client, pd any
	}{
		{"verification token claims", client.VerificationClaims{}, pd.VerificationClaims{}},
		{"consent claim", client.ConsentClaim{}, pd.ConsentClaim{}},
		{"token", client.Token{}, pd.TokenResponse{}},
		{"consent", client.Consent{}, pd.HeldConsent{}},
		{"webhook subscription", client.Subscription{}, webhook.Subscription{}},
		{"report", client.Report{}, pd.Report{}},
		{"SMS request", client.SMSRequest{}, pd.SMSRequest{}},
		{"SMS status", client.SMSStatus{}, pd.SMSResponse{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := jsonShape(reflect.TypeOf(tc.client)), jsonShape(reflect.TypeOf(tc.pd))
			if len(c) == 0 {
				t.Fatal("no JSON members in the client type")
			}
			for name, shape := range c {
				if got, ok := s[name]; !ok {
					t.Errorf("member %q of the client is not in pd's type", name)
				} else if got != shape {
					t.Errorf("member %q: client %s, pd %s", name, shape, got)
				}
			}
		})
	}
}

// TestConsentRecordMatchesPD: the client's ConsentRecord flattens the evidence that pd's
// ConsentRequest carries; each member the client sends must be decoded by pd.
func TestConsentRecordMatchesPD(t *testing.T) {
	c, s := jsonShape(reflect.TypeOf(client.ConsentRecord{})), jsonShape(reflect.TypeOf(pd.ConsentRequest{}))
	for name, shape := range c {
		got, ok := s[name]
		if !ok {
			t.Errorf("member %q of client.ConsentRecord is not in pd.ConsentRequest", name)
		} else if got != shape {
			t.Errorf("member %q: client %s, pd %s", name, shape, got)
		}
	}
}

// jsonShape maps each JSON member of struct type t (embedded structs flattened) to a
// description of its JSON shape; nested structs are described member by member.
func jsonShape(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for k, v := range jsonShape(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = shapeOf(ft)
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

func shapeOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "time"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "bytes"
	case t.Kind() == reflect.Slice:
		return "[" + shapeOf(t.Elem()) + "]"
	case t.Kind() == reflect.Struct:
		var b strings.Builder
		m := jsonShape(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k + ":" + m[k] + ",")
		}
		return b.String() + "}"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// TestNoticeStatusMatchesNotify: client.NoticeStatus reads both the answer to a send
// (notify.Accepted) and a status (notify.Status); every member it reads is one of them
// writes with the same shape, and every member they write is read.
func TestNoticeStatusMatchesNotify(t *testing.T) {
	c := jsonShape(reflect.TypeOf(client.NoticeStatus{}))
	acc, st := jsonShape(reflect.TypeOf(notify.Accepted{})), jsonShape(reflect.TypeOf(notify.Status{}))
	for name, shape := range c {
		if acc[name] != shape && st[name] != shape {
			t.Errorf("member %q (%s) of the client is in neither notify.Accepted (%q) nor notify.Status (%q)", name, shape, acc[name], st[name])
		}
	}
	for _, server := range []map[string]string{acc, st} {
		for name := range server {
			if _, ok := c[name]; !ok {
				t.Errorf("the server writes %q, the client drops it", name)
			}
		}
	}
}

// rule DC-6: the archive's report decodes into the client's, member for member, and a
// signing time nothing proves stays unknown (nil), not a zero time that prints as
// 0001-01-01.
func TestArchiveReportMatchesArchive(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server any
	}{
		{"report", client.ArchiveReport{}, archive.ReportView{}},
		{"signer", client.ArchiveSigner{}, archive.SignerView{}},
	} {
		c, s := jsonShape(reflect.TypeOf(tc.client)), jsonShape(reflect.TypeOf(tc.server))
		for name, shape := range s {
			if got, ok := c[name]; !ok || got != shape {
				t.Errorf("%s: member %q: client %q, archive %s", tc.name, name, got, shape)
			}
		}
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	b, err := json.Marshal(archive.ReportView{Signers: []archive.SignerView{{Name: "A"}, {Name: "B", SignedAt: &at}}})
	if err != nil {
		t.Fatal(err)
	}
	var r client.ArchiveReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Signers[0].SignedAt != nil || r.Signers[1].SignedAt == nil || !r.Signers[1].SignedAt.Equal(at) {
		t.Fatalf("signed_at: %v, %v", r.Signers[0].SignedAt, r.Signers[1].SignedAt)
	}
}
