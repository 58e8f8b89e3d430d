-- 0006_session_org: a session opened with an organization employee's EDS certificate
-- records that organization's BIN, so the authorized body's staff can use the console.

ALTER TABLE sessions ADD COLUMN org_bin TEXT NOT NULL DEFAULT '';
