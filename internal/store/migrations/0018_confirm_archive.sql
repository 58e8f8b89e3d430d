-- 0018: an EDS-confirmed agreement goes into the archive (rule DC-5): the archive
-- document's public id is kept with the signature once the confirm.archive consumer has
-- ingested it ('' until then). The expired event is emitted once: expired_event is the
-- outbox event of confirm.request.expired (0 until the sweep has emitted it).
ALTER TABLE confirm_signatures ADD COLUMN archive_id TEXT NOT NULL DEFAULT '';
ALTER TABLE confirm_requests ADD COLUMN expired_event BIGINT NOT NULL DEFAULT 0;
