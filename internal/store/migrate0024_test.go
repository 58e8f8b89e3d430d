package store_test

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Migration 0024 carries the signature digest of consents recorded before it from their
// evidence into the unique column: the oldest of a signature's duplicates keeps it, the
// later ones and the consents without a signature get ”.
func TestMigration0024SignatureDigest(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			ctx := t.Context()
			db := storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t))
			if _, err := store.MigrateTo(ctx, db, 23); err != nil {
				t.Fatal(err)
			}
			a, b := "aa"+strings.Repeat("0", 62), "bb"+strings.Repeat("1", 62)
			rows := []struct {
				id, evidence string
				at           int64
			}{
				{"c_dup2", `{"text_sha256":"x","signature_sha256":"` + a + `","signer_serial":"1"}`, 20},
				{"c_dup1", `{"text_sha256":"x","signature_sha256":"` + a + `","signer_serial":"1"}`, 10},
				{"c_dup3", `{"text_sha256":"x","signature_sha256":"` + a + `","signer_serial":"1"}`, 30},
				{"c_one", `{"text_sha256":"y","signature_sha256":"` + b + `"}`, 15},
				{"c_bio", `{"reference":"bio-1","text_sha256":"z"}`, 16},
				{"c_ref", `{"text_sha256":"z"}`, 17},
			}
			for _, r := range rows {
				if _, err := db.ExecContext(ctx, `INSERT INTO pd_consents (id, subject, initiator_bin, owner_bin, data_sets, purpose, decision, method, channel, evidence, acted_by, valid_from, valid_until, created_at)
					VALUES (?, 'citizen:1', '1', '2', '[]', 'p', 'given', 'eds', 'cabinet', ?, 'citizen:1', 0, 0, ?)`, r.id, r.evidence, r.at); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := db.Migrate(ctx); err != nil || n != db.KnownVersion()-23 {
				t.Fatalf("migrate: %d %v", n, err)
			}
			want := map[string]string{"c_dup1": a, "c_dup2": "", "c_dup3": "", "c_one": b, "c_bio": "", "c_ref": ""}
			for id, w := range want {
				var got string
				if err := db.QueryRowContext(ctx, `SELECT signature_sha256 FROM pd_consents WHERE id = ?`, id).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != w {
					t.Errorf("%s: signature_sha256 %q, want %q", id, got, w)
				}
			}
			// The column is unique where set.
			if _, err := db.ExecContext(ctx, `INSERT INTO pd_consents (id, subject, initiator_bin, owner_bin, data_sets, purpose, decision, method, channel, evidence, acted_by, valid_from, valid_until, created_at, signature_sha256)
				VALUES ('c_new', 'citizen:1', '1', '2', '[]', 'p', 'given', 'eds', 'cabinet', '{}', 'citizen:1', 0, 0, 40, ?)`, a); err == nil {
				t.Error("a second consent with the same signature digest was inserted")
			}
		})
	}
}
