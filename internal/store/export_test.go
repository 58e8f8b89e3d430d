package store

// SetOutboxLock turns the PostgreSQL outbox advisory lock off or on, so
// that a test can show the event loss the lock prevents.
func SetOutboxLock(db *DB, on bool) { db.outboxLock = on }
