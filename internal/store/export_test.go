package store

// SetOutboxLock turns on or off the cluster-wide advisory lock that Emit
// took before consumers learnt to wait at gaps, so that a benchmark can
// measure what it cost.
func SetOutboxLock(db *DB, on bool) { db.outboxLock = on }

// SetGapCheck turns off (or on) the PostgreSQL consumer's wait at ID gaps,
// so that a test can show the event loss it prevents.
func SetGapCheck(db *DB, on bool) { db.gapCheck = on }
