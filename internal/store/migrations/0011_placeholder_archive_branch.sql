-- 0011: placeholder on the archive branch so that its 0014 applies (the loader wants
-- contiguous versions). Delete it when merging: the real 0011 comes from another branch.
SELECT 1;
