-- The header's unread count of every cabinet page, kept per addressee (issue 9):
-- n is the number of the addressee's notices in state 'delivered'. Every transaction
-- that moves a notice into or out of 'delivered' adds its change here, last, in the
-- order of the subjects (internal/notify/unread.go). Reading the count is one row,
-- whatever the size of the inbox; counting the inbox index newest first read up to
-- 101 entries for every page, and an inbox read nearly to the end whole.
CREATE TABLE notify_unread (
  subject TEXT PRIMARY KEY,
  n BIGINT NOT NULL
);

INSERT INTO notify_unread (subject, n)
  SELECT subject, COUNT(*) FROM notify_notices WHERE state = 'delivered' GROUP BY subject;
