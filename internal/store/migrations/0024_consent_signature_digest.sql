-- 0024: one EDS signature records one consent. A consent recorded with a signature keeps
-- the SHA-256 of the signature's bytes (a CMS, or an XML-DSig document) in its own
-- column, unique among the consents that have one; re-submitting the same signature
-- (a reloaded page, a repeated API call) finds the consent it already recorded instead
-- of recording another. Consents without a signature (refusals, biometric, paper) keep ''.
ALTER TABLE pd_consents ADD COLUMN signature_sha256 TEXT NOT NULL DEFAULT '';

-- The consents recorded before: the digest is in the evidence JSON, which Go writes as
-- ..."signature_sha256":"<64 hex>"... (20 characters before the digest).
UPDATE pd_consents
SET signature_sha256 = substr(evidence, {{instr}}(evidence, '"signature_sha256":"') + 20, 64)
WHERE {{instr}}(evidence, '"signature_sha256":"') > 0;

-- A signature re-submitted before this fix recorded duplicates: the oldest consent keeps
-- the digest (a re-submission finds it), the later duplicates stay as they were but
-- without it. Their evidence JSON still names the signature.
UPDATE pd_consents
SET signature_sha256 = ''
WHERE signature_sha256 <> '' AND EXISTS (
    SELECT 1 FROM pd_consents o
    WHERE o.signature_sha256 = pd_consents.signature_sha256
      AND (o.created_at < pd_consents.created_at OR (o.created_at = pd_consents.created_at AND o.id < pd_consents.id)));

CREATE UNIQUE INDEX pd_consents_signature ON pd_consents (signature_sha256) WHERE signature_sha256 <> '';
