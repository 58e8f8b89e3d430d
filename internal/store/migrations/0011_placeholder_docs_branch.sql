-- Placeholder in branch docs only, so that 0012_docs.sql follows without a gap while
-- the migrations 0010 and 0011 of other branches are not merged. DELETE AT MERGE.
SELECT 1;
