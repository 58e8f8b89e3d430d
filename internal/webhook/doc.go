// Package webhook sends organisations signed events: each organisation subscribes an
// HTTPS endpoint to the event types it wants, and every matching event is POSTed to it
// as a compact JWS signed with Senim's security-token key (ES256, typ Type), which the
// receiver checks with the published JWK set (/.well-known/jwks.json) — the same key
// and set that sign security tokens and read receipts.
//
// The path of an event:
//
//	domain tx ── outbox event ──► consumer "webhook" (Route: which org, which type, what data)
//	                                  │ one delivery row per matching subscription,
//	                                  │ UNIQUE (subscription, event id): at most one per event
//	                                  ▼
//	                         delivery loop: claim a due row (lease), sign, POST,
//	                         2xx → delivered; else retry with exponential backoff and
//	                         jitter until MaxAttempts → failed
//
// Delivery is at least once: a receiver may see an event again (a lost answer, a crash
// between the POST and the state update) and drops it by the event id (jti), which is
// the same in every attempt.
//
// Endpoints are HTTPS only, and never an internal address: loopback, private (RFC 1918,
// ULA), link-local (cloud metadata), CGNAT, unspecified, multicast and reserved ranges
// are refused when the organisation subscribes (every address the name resolves to) and
// again when the connection is made (a net.Dialer Control on the address actually
// dialled), so a name that resolves to a public address at subscription and to
// 169.254.169.254 at delivery (DNS rebinding) is refused too. Only the sandbox allows
// loopback (AllowLoopback). Proxies from the environment are not used and redirects are
// not followed.
package webhook
