package store

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		wantErr bool
		want    int
	}{
		{"two", fstest.MapFS{"migrations/0001_a.sql": file("CREATE TABLE a (id {{id}});"), "migrations/0002_b.sql": file("CREATE TABLE b (x {{ blob }});")}, false, 2},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("SELECT 1;"), "migrations/0003_c.sql": file("SELECT 1;")}, true, 0},
		{"starts at 2", fstest.MapFS{"migrations/0002_b.sql": file("SELECT 1;")}, true, 0},
		{"duplicate version", fstest.MapFS{"migrations/0001_a.sql": file("SELECT 1;"), "migrations/0001_b.sql": file("SELECT 1;")}, true, 0},
		{"bad name", fstest.MapFS{"migrations/1_a.sql": file("SELECT 1;")}, true, 0},
		{"upper-case name", fstest.MapFS{"migrations/0001_A.sql": file("SELECT 1;")}, true, 0},
		{"unknown token", fstest.MapFS{"migrations/0001_a.sql": file("CREATE TABLE a (x {{uuid}});")}, true, 0},
		{"broken token", fstest.MapFS{"migrations/0001_a.sql": file("CREATE TABLE a (x {{blob);")}, true, 0},
		{"empty", fstest.MapFS{"migrations/README": file("")}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fs)
			if tc.wantErr {
				if !errors.Is(err, ErrBadMigration) {
					t.Fatalf("loadMigrations = %v, want ErrBadMigration", err)
				}
				return
			}
			if err != nil || len(ms) != tc.want {
				t.Fatalf("loadMigrations = %d migrations, %v; want %d", len(ms), err, tc.want)
			}
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].name != "0001_init" {
		t.Errorf("first migration %q", ms[0].name)
	}
	for _, e := range []Engine{SQLite, Postgres} {
		for _, m := range ms {
			src, err := renderMigration(m.sql, e)
			if err != nil || strings.Contains(src, "{{") {
				t.Errorf("%s on %s: %v", m.name, e, err)
			}
		}
	}
	pg, _ := renderMigration(ms[0].sql, Postgres)
	if !strings.Contains(pg, "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY") || !strings.Contains(pg, "BYTEA") {
		t.Errorf("PostgreSQL tokens not rewritten:\n%s", pg)
	}
}
