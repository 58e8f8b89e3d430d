-- 0010_placeholder: an empty step that keeps the versions contiguous on the confirm
-- branch, whose own migration is 0015; the merge replaces it with the real 0010.
SELECT 1;
