-- 0020: named periodic jobs of `senim serve` (internal/jobs): the archive's seal and
-- renewal, the notification point's escalation. One row per job. A node runs a job
-- only after taking its lease with one conditional UPDATE (the lease is free or has
-- expired, and the job is due), so with several nodes on one database exactly one runs
-- a job at a time; a node that dies mid-run leaves a lease that expires, and another
-- node takes the job over. Times are Unix microseconds, 0 for "never". The row holds
-- no personal data: last_error is the text of an operational error.
CREATE TABLE jobs (
    name                 TEXT    PRIMARY KEY,
    next_run_at          BIGINT  NOT NULL DEFAULT 0,  -- due when <= now
    lease_owner          TEXT    NOT NULL DEFAULT '', -- the run holding the lease: node/run token
    lease_until          BIGINT  NOT NULL DEFAULT 0,  -- the lease is free when <= now
    last_started_at      BIGINT  NOT NULL DEFAULT 0,
    last_finished_at     BIGINT  NOT NULL DEFAULT 0,
    last_error           TEXT    NOT NULL DEFAULT '', -- '' after a success
    runs                 BIGINT  NOT NULL DEFAULT 0,  -- runs started
    failures             BIGINT  NOT NULL DEFAULT 0,  -- runs failed, in all
    consecutive_failures INTEGER NOT NULL DEFAULT 0   -- since the last success: the backoff's exponent
);
