package client_test

import (
	"testing"
	"time"

	"github.com/senimkz/senim/client"
)

// rule DC-2: the client's NoticeStatus carries what the sending API answers: the
// read-by deadline and the status URL of a notice just sent, and the deadline again
// in its status; a notice sent without a deadline has none.
func TestNoticeStatusReadByAndStatusURL(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, "state_body")
	ctx := t.Context()
	readBy := e.now.Add(5 * 24 * time.Hour).UTC().Truncate(time.Second)
	n := client.Notice{SubjectIIN: e.pop.Citizens[0].IIN, Category: "tax", LegallySignificant: true, ReadBy: &readBy,
		Content: map[string]client.NoticeText{"kk": {Title: "Салық", Body: "Салықты төлеңіз."}, "ru": {Title: "Налог", Body: "Оплатите налог."}}}
	acc, err := c.SendNotice(ctx, n, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	if acc.ReadBy == nil || !acc.ReadBy.Equal(readBy) || acc.StatusURL != "/v1/notices/"+acc.ID {
		t.Errorf("sent: read_by %v, status_url %q; want %v and /v1/notices/%s", acc.ReadBy, acc.StatusURL, readBy, acc.ID)
	}
	st, err := c.NoticeStatus(ctx, acc.StatusURL[len("/v1/notices/"):])
	if err != nil {
		t.Fatal(err)
	}
	if st.ReadBy == nil || !st.ReadBy.Equal(readBy) {
		t.Errorf("status: read_by %v, want %v", st.ReadBy, readBy)
	}
	// Negative: no deadline, none in the answer.
	n.ReadBy = nil
	acc, err = c.SendNotice(ctx, n, "k-2")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.NoticeStatus(ctx, acc.ID); err != nil || acc.ReadBy != nil || st.ReadBy != nil {
		t.Errorf("without a deadline: sent %v, status %+v, %v", acc.ReadBy, st, err)
	}
}
