-- 0025: a legal ground's legal reference in each of the cabinet's languages. A notice
-- to a citizen cites the law in the citizen's language; legal_ref stays the reference
-- as the authorized body cites it, and is what a language without its own form shows.
ALTER TABLE pd_grounds ADD COLUMN legal_ref_kk TEXT NOT NULL DEFAULT '';
ALTER TABLE pd_grounds ADD COLUMN legal_ref_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE pd_grounds ADD COLUMN legal_ref_en TEXT NOT NULL DEFAULT '';
