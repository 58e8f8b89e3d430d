package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// Every automatic notice is written into each index of notify_notices, so the table
// keeps only the indexes its queries read (migration 0021, issue 9): the addressee's
// three queries read notify_notices_inbox alone (the newest notice's id as a covering
// index, without a row; the unread count is a row of notify_unread), the escalation pass reads the partial index of the notices
// that have a policy, and none of them scans the table or sorts.
func TestInboxQueriesUseTheIndex(t *testing.T) {
	const unreadRow = "SEARCH notify_unread USING INDEX sqlite_autoindex_notify_unread_1 (subject=?)"
	db := storetest.Open(t)
	for _, c := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"inbox", inboxQuery, []any{alice, maxInbox}, []string{"USING INDEX notify_notices_inbox"}},
		{"since", sinceQuery, []any{alice, 7, maxInbox}, []string{"USING INDEX notify_notices_inbox"}},
		{"older", olderQuery, []any{alice, 7, maxInbox}, []string{"USING INDEX notify_notices_inbox"}},
		// The count is the addressee's row of notify_unread (0029), the head the inbox
		// index's last entry.
		{"unread", unreadQuery, []any{alice, alice}, []string{unreadRow, "USING COVERING INDEX notify_notices_inbox"}},
		{"notice and unread", noticeUnreadQuery, []any{alice, "n_x", alice}, []string{unreadRow, "USING INDEX sqlite_autoindex_notify_notices_1 (ref=?)"}},
		{"escalation", unreadPolicyQuery, []any{0, escalateBatch}, []string{"USING INDEX notify_notices_pending"}},
	} {
		rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		for _, w := range c.want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: plan %q, want %q", c.name, p, w)
			}
		}
		if strings.Contains(p, "SCAN notify_notices") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan %q scans the table or sorts", c.name, p)
		}
	}
	// The indexes that were dropped stay dropped: an index no query reads costs every
	// notice a write.
	var names []string
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notify_notices' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if got, want := strings.Join(names, " "), "notify_notices_inbox notify_notices_pending"; got != want {
		t.Errorf("indexes of notify_notices (besides UNIQUE columns) = %q, want %q", got, want)
	}
}
