package store

import "context"

// SetOutboxLock turns on or off the cluster-wide advisory lock that Emit
// took before consumers learnt to wait at gaps, so that a benchmark can
// measure what it cost.
func SetOutboxLock(db *DB, on bool) { db.outboxLock = on }

// SetGapCheck turns off (or on) the PostgreSQL consumer's wait at ID gaps,
// so that a test can show the event loss it prevents.
func SetGapCheck(db *DB, on bool) { db.gapCheck = on }

// MigrateTo applies the embedded migrations up to version only, so that a test can
// put rows in an older schema and watch a later migration carry them over.
func MigrateTo(ctx context.Context, db *DB, version int) (int, error) {
	all := db.migrations
	db.migrations = all[:version]
	defer func() { db.migrations = all }()
	return db.Migrate(ctx)
}
