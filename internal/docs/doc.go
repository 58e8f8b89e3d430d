// Package docs is Senim's digital documents (rules DD-1 to DD-7, DC-7, DC-8): a
// document is formed from a reference data source each time it is shown and never
// stored (DC-7); its owner opens access to it with a share — a QR code carrying a
// 128-bit random token and a short code to type (DD-2) — that one verifier may redeem
// while it lives (DD-3); each view is recorded for both parties, told to the owner
// through the outbox and the notification point (DD-4, DD-6), and yields a
// "digital information" record (DC-8): a JWS signed with Senim's key naming the
// document type, whose it is, who saw it, when and through which share, whose outbox
// event the audit log proves.
//
// What is kept: the share (hashes of its token and code, never the token or code),
// the view (who, when, which type, the signed record) — never a field of the
// document. Guessing a code is bounded per verifier and globally (Limits).
//
// Document types are versioned (kind and version, like the security-token versions),
// each with its titles and its layout in kk, ru and en.
package docs
