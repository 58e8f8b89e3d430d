// Package notify is Senim's unified notification point (issue 9, first slice): every
// action on a citizen's data reaches them as a notice in the cabinet's inbox, and a
// legally significant notice is read only through an acknowledgement screen that ends in
// a signed read receipt both sides can verify offline (rule DC-2).
//
// Notices come from the outbox, which notify consumes as its own consumer ("notify"),
// at least once and in order, like the audit log: one notice per event, never two (the
// event id is unique in notify_notices). The events of internal/pd it tells of:
//
//	pd.token.issued        a security token in any of the three flows (access);
//	                       an issuance sealed under a deferred legal ground is skipped:
//	pd.access.notice       the deferred notice, released by pd when the deferral ends
//	pd.action.reported     an action a data owner reported (PD-3.4)
//	pd.consent.given, pd.consent.refused, pd.consent.revoked
//
// and of internal/docs: docs.view.recorded, a verifier viewed the citizen's digital
// document (rule DD-6).
//
// A notice keeps the language-neutral facts of its event — the organisation's and the
// data owner's names as the directories gave them then, the data sets' titles, the
// legal ground's titles in kk/ru/en and its legal reference, the time — and is rendered
// at read time in the reader's language, times in Asia/Almaty.
//
// Lifecycle: accepted (stored) → delivered (in the inbox; the only channel so far) →
// read. Reading is recorded only from the addressee's authenticated cabinet session.
// Acknowledging a legally significant notice records the SHA-256 of the exact content
// shown, the time, the authentication method and the session, and signs a read receipt
// (typ ReceiptType, ES256 with Senim's security-token key, verifiable with the published
// JWKS) that commits to the IIN with a salt and never carries it; the event
// notify.receipt.issued goes to the outbox and so into the audit log.
//
// Not yet (issue 9, later slices): the sending API for state bodies and its webhooks,
// SMS/e-mail/Web Push channels and preferences, reminders, escalation and deemed
// delivery, the job queue, the performance figures. Live updates reach subscribers in
// this process (Subscribe); another node's notices show at the next poll.
package notify
