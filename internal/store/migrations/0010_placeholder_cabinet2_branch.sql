-- Placeholder in branch cabinet2 only, so that 0011 follows without a gap while the
-- migration 0010 of another branch is not merged. DELETE AT MERGE.
SELECT 1;
