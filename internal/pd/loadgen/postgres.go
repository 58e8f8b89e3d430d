package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// freshSchema creates an empty schema in the PostgreSQL database at base and returns
// base with search_path set to it, and a function that drops it.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return "", nil, fmt.Errorf("loadgen: the database URL must be postgres://... (SQLite is the default)")
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("loadgen: cannot parse the database URL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("senim_loadgen_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("loadgen: create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func() {
		admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+name+" CASCADE")
		admin.Close()
	}
	return u.String(), drop, nil
}
