-- 0019: evidence records of more than one ArchiveTimeStampChain (RFC 4998, hash-tree
-- renewal; internal/archive). A document's current chain is its batch's
-- (archive_documents.batch_id, leaf_path); the chains before it, oldest first, are
-- here: either the chain of an earlier batch of this archive (batch_id and leaf_path,
-- frozen since the hash-tree renewal that moved the document to a new batch) or a chain
-- kept from an imported container's evidence record (chain: its DER
-- ArchiveTimeStampChain). The rows are written once and never changed.
CREATE TABLE archive_prior_chains (
    document_id BIGINT   NOT NULL REFERENCES archive_documents (id),
    seq         INTEGER  NOT NULL,            -- 0 is the oldest chain
    batch_id    BIGINT   REFERENCES archive_batches (id),
    leaf_path   {{blob}},                     -- with batch_id: the document's reduced hash tree
    chain       {{blob}},                     -- without batch_id: DER ArchiveTimeStampChain
    PRIMARY KEY (document_id, seq)
);

-- Renewal looks up the documents of a batch.
CREATE INDEX archive_documents_batch ON archive_documents (batch_id);
