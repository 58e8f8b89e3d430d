-- 0027: a digital information record's own log entry. The record names its view's
-- event (it is signed after it), so that event cannot bind the record; a second event,
-- docs.record.signed, carries the record's SHA-256, and its id is kept here: with its
-- inclusion proof the record stays verifiable after its signing key has left the JWK
-- set. Views recorded before have 0 (no such event).
ALTER TABLE docs_views ADD COLUMN record_event_id BIGINT NOT NULL DEFAULT 0;
