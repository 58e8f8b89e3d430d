-- 0021: the indexes of notify_notices that an automatic notice pays for, cut to those a
-- query uses. Every notice is inserted into each index of the table, and under flow 2 at
-- full speed that was most of what the notification point cost (issue 9: flow 2's rate
-- with notices against without). What each query reads:
--   the inbox, its "since" query and the unread count: (subject, id, state), answered
--   from the index alone; notify_notices_unread (0009) was never chosen by a query, and
--   keyed by addressee it dirtied a random page per notice like the one that was;
--   the escalation pass: the unread notices that have a policy and are not deemed
--   delivered, by id. Automatic notices have no policy and are no longer in it, and a
--   notice leaves it when it is read or deemed delivered;
--   notify_notices_sender (0012) was read by no query (a sender reads a notice by ref).
DROP INDEX notify_notices_unread;
DROP INDEX notify_notices_subject;
CREATE INDEX notify_notices_inbox ON notify_notices (subject, id, state);
DROP INDEX notify_notices_sender;
DROP INDEX notify_notices_pending;
CREATE INDEX notify_notices_pending ON notify_notices (id) WHERE state = 'delivered' AND policy <> '' AND deemed_at = 0;
