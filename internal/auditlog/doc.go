// Package auditlog is Senim's tamper-evident log: an append-only Merkle tree
// (RFC 6962 hashing, github.com/transparency-dev/merkle) over every outbox event,
// served in the C2SP tlog-tiles layout with a C2SP signed-note checkpoint per batch.
//
// # Sequencing
//
// Log.Run consumes the outbox as consumer "auditlog". Each batch is integrated in
// one database transaction that writes the leaves' entry rows, the tiles and entry
// bundles they change, the new state (tree size, last event id, compact range) and
// a checkpoint signed with the log's Ed25519 note key. The state row carries the
// last integrated event id, so a batch delivered again after a crash adds nothing,
// and events the cursor skipped are pulled in before a later batch: every outbox
// event is logged exactly once, in event-id order. On PostgreSQL the integrating
// transaction first takes a transaction-level advisory lock (per schema) and only
// then reads the state, so several API nodes can run Run: one integrates at a time
// (the outbox cursor row lock already hands a batch to one node) and none can fork
// the tree. The store does not expose a dedicated connection, so leadership is
// per batch rather than a session-long advisory lock; the safety is the same.
//
// # One log identity
//
// Every node signs with the same keys, kept in the database (KeyStore, table
// auditlog_keys) and sealed under the key-encryption key from configuration
// (package keyring); Config.Signer and Config.Verifier, a fixed key, are for tests
// and one-process tools. The first key is created once cluster-wide, or imported
// from the single-node key file <data-dir>/log.key so the published key does not
// change; a node whose key file differs from the database's key refuses to start,
// and so does a node asked to create a key for a log that already has checkpoints.
// Each batch reads the keys in its transaction and first checks that the newest
// checkpoint verifies with them and is the tree's head; Ready does the same for
// /readyz. KeyStore.Rotate adds a key: every later checkpoint is signed by the old
// and the new key, and the auditlog.key.added event logs the announcement;
// KeyStore.Retire stops the old key. docs/log.md says what witnesses and data
// owners do.
//
// # Leaves: commitments, not personal data
//
// A leaf is text, strictly formatted (ParseLeaf):
//
//	senim.kz/log/leaf/v1
//	event 42
//	time 1793491200000000            (Unix microseconds)
//	type pd.access.requested
//	actor org:990140000123           (an organization by BIN, or a bare role: system)
//	subject <base64 commitment>      (or "-")
//	details <base64 commitment>      (or "-")
//
// Any other actor ("citizen:17", "admin:3") appears as its role and a commitment:
// "actor citizen <base64>", since even a pseudonymous citizen id links a person's
// actions across leaves. The subject commitment is over the opaque reference
// (Event.Subject, "citizen:17"), not the IIN: the identity package holds the
// reference-to-IIN binding, the sequencer needs no lookup on its hot path, and no
// IIN is copied into the log's tables. The details commitment is over the exact
// payload bytes. Each commitment is SHA-256 over a domain label, the field name,
// a field salt and the value; field salts are derived from one random 32-byte salt
// per leaf, stored in auditlog_entries, and an opening reveals field salts only,
// never the leaf salt. Erasing the salt (or the event) leaves the tree intact; the
// leaf can then no longer be opened.
//
// # Token binding (leaf v2)
//
// The leaf of a security-token issuance (type pd.token.issued, TokenEventType)
// is a v2 leaf: the v1 leaf with a public line after the event line,
//
//	senim.kz/log/leaf/v2
//	event 42
//	token <base64 SHA-256("senim.kz/log/token/v1\n" || jti)>
//	time ...                         (the rest as in v1)
//
// where jti is the payload's top-level "jti" (TokenBinding). A token carries
// its event id (evt); a data owner's verifier accepts the leaf at evt only if
// its token line is the binding of the token in hand. An event id is not
// enough on its own: should a commit ever be lost (a disk that lies about
// flushes, a restore from backup, a failover to a replica behind), the id
// sequence goes back with it and a later event takes the lost token's evt.
// The jti is 128 random bits, so the binding reveals nothing and links
// nothing without the token. Every other leaf stays v1, byte for byte, and
// both versions parse and open; a token-issuance event without a string jti
// gets a v1 leaf, which no verifier accepts as a token's proof.
//
// # Sealed leaves (deferred notices)
//
// An event whose JSON payload has a top-level member "sealed_until" (an RFC 3339
// time; SealedUntilMember) is logged as
//
//	senim.kz/log/leaf/v1
//	event 42
//	sealed <base64 commitment to the whole open leaf above>
//
// which reveals neither type, time, actor (the initiator) nor subject. A sealed
// token issuance is a v2 leaf and keeps its token line in the clear, between the
// event and sealed lines: a data owner must be able to check the token of an
// access with a deferred notice too. The line says only that the event is a
// token issuance, which a sealed leaf already implies (only the PD code's
// deferred-notice issuances are sealed), and a hash of a random jti names no
// initiator: only the holder of the token can recognise it. Until that
// time the event is left out of its subject's history and bundle; afterwards the
// bundle carries the sealed salt, which opens the commitment. The PD code sets the
// member for an access on a legal ground with a deferred notice. An unreadable
// sealed_until seals for ever (fail closed).
//
// # Read API
//
// Log.Register mounts /log/checkpoint, /log/key (the signing keys, one a line,
// oldest first), /log/tile/... (full tiles and
// entry bundles with immutable caching; a partial tile of width w is the prefix of
// the stored tile), /log/proof/inclusion (by index or leaf hash),
// /log/proof/consistency and /log/proof/event/{id} (EventProof), plus POST
// /log/cosignature for witnesses (C2SP tlog-cosignature/v1,
// NewCosignatureVerifier). Errors are problem+json with codes log.tile.malformed,
// log.tile.not_found, log.index.out_of_range, log.request.invalid,
// log.leaf.not_found, log.entry.not_found, log.cosignature.invalid, ...
//
// # Citizens and auditors
//
// SubjectHistory checks each of a subject's events (the event opens its leaf, the
// inclusion proof verifies against the latest signed checkpoint) for the cabinet;
// Bundle returns the evidence bundle of one of the subject's own events.
// The commands live in internal/logcmd: senim log verify checks a bundle offline;
// senim log audit rebuilds the tree from the served entry bundles, compares every
// tile and the signed roots, and checks consistency between two checkpoints. Only
// the database can show that an event row was changed after it was logged
// (outsiders see commitments): CheckDatabase, which the audit runs with
// --database-url, opens every leaf against its row and checks that no event is
// missing.
//
// # Security tokens
//
// A security token carries `evt`, the outbox event id of its issuance. A data
// owner's verifier (package verifier, Config.Log) asks GET /log/proof/event/{id}
// for that event's leaf, its inclusion proof and the signed checkpoint the proof
// leads to (EventProof), checks all three with the log's published key, and so
// refuses any token whose issuance was not logged. IndexOfEvent gives the index
// alone; 404 log.entry.not_found until the event is in the served checkpoint.
package auditlog
