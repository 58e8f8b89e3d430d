-- 0028: the history of each archived document, as its page shows it (archive.Service.Actions):
-- one row for each ingest, view or export event that is in a citizen party's history,
-- written in the event's transaction. Before, a document page read every archive event of
-- the citizen from outbox_events, which has no index but its id (a scan of the whole
-- outbox), and picked the document's own in Go: a citizen with 5,000 archived documents paid
-- for 20,000 events on every page. The outbox is not a query store, and PruneEvents deletes
-- from it: the history went with it. These rows stay with the document.
CREATE TABLE archive_actions (
    document_id BIGINT NOT NULL REFERENCES archive_documents (id),
    party       TEXT   NOT NULL,            -- whose history: the event's subject ("citizen:<id>")
    event_id    BIGINT NOT NULL,            -- the outbox event's id: the history's order
    type        TEXT   NOT NULL,            -- archive.document.ingested, .viewed or .exported
    actor       TEXT   NOT NULL,            -- who did it
    created_at  BIGINT NOT NULL,            -- the event's
    -- A page reads the newest of (document, party) backwards from here, bounded.
    PRIMARY KEY (document_id, party, event_id)
);

-- The history until now: the archive events still in the outbox. Their payload is JSON
-- naming the document by its public id ({"document": "<id>", ...}); an event without a
-- subject (a document of organisations only) is in no one's history.
INSERT INTO archive_actions (document_id, party, event_id, type, actor, created_at)
SELECT d.id, e.subject, e.id, e.type, e.actor, e.created_at
FROM outbox_events e
JOIN archive_documents d ON d.public_id = CAST(e.payload AS {{json}}) ->> 'document'
WHERE e.type IN ('archive.document.ingested', 'archive.document.viewed', 'archive.document.exported')
  AND e.subject <> '' AND e.payload IS NOT NULL;
