-- 0022: the facts that many automatic notices share, stored once (issue 9, invariant 2 at
-- full speed). A notice of a token keeps about 740 bytes of facts, nearly all of them the
-- names and titles of its initiator, data owner, data sets and legal ground, the same for
-- every token of that combination; written into each row they made the table's pages,
-- and so the commits of the outbox consumer under flow 2, several times larger than the
-- notice itself. notify_facts holds that part once, named by the SHA-256 of its JSON
-- (base64url): a row is never changed or deleted, so anyone may cache it. A notice whose
-- facts_ref is not empty keeps in facts only what is its own (its time, consent,
-- purpose, deadline); one whose facts_ref is empty keeps all of them, as before.
-- Neither part names the addressee.
CREATE TABLE notify_facts (
    digest TEXT NOT NULL PRIMARY KEY,
    body   TEXT NOT NULL
);
ALTER TABLE notify_notices ADD COLUMN facts_ref TEXT NOT NULL DEFAULT '';
