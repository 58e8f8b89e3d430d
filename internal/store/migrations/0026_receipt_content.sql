-- 0026: a read receipt keeps the content exactly as it was shown (the JSON its hash
-- covers), so that the notice reopens word for word after a release changes the
-- wording of notices. Receipts issued before have none and are rendered again.
ALTER TABLE notify_receipts ADD COLUMN content TEXT;
