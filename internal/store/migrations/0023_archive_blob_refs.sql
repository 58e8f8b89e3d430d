-- 0023: the archive's blob collector (issue 14, storage) asks, for a batch of blob
-- addresses, which ones a document or a signature still references; these indexes
-- answer it without reading every row. archive_blobs.created_at is from now on the time
-- the bytes were last put (a put of bytes already stored renews it), so a blob an
-- ingest is about to reference is never old; blobs put before this migration with a
-- time of 0 count as old, which is right: their ingest is long over.
CREATE INDEX archive_documents_content ON archive_documents (content_sha256);
CREATE INDEX archive_signatures_blob ON archive_signatures (sha256);
