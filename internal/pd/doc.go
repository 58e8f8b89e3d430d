// Package pd is Senim's personal-data access control (seed 002 made executable): the
// directories the authorized body keeps (data owners and data sets, proactive service
// codes, legal grounds with their notification policy, protocol-mode permissions, the
// registry of trusted digital objects of TR-1 with the TR-2 switch), the subject's
// consents and refusals (PD-3.1–PD-3.5), the three access flows (proactive service
// PD-6.1, protocol mode PD-6.2, SMS code PD-6.3), the security tokens Senim signs for
// data owners, and the actions data owners report (PD-3.4, PD-2.8-1).
//
// Every check of a flow is a separate step with its own problem code and rule
// (errors.go), so a refused request names the step that failed; a refused request
// changes nothing. Every change writes its outbox event in the same transaction:
//
//	pd.directory.data_owner.put, pd.directory.service_code.put, pd.directory.ground.put,
//	pd.directory.protocol_permissions.set, pd.registry.object.put, pd.registry.tr2.set,
//	pd.key.rotated                                        (actor: who changed it)
//	pd.consent.given, pd.consent.refused, pd.consent.revoked
//	pd.token.issued        a security token (payload: flow, initiator, owner, scope,
//	                       code, consent, trusted_system; sealed_until when the ground
//	                       defers the notice — auditlog.SealedUntilMember)
//	pd.access.notice       a deferred notice whose deferral ended
//	pd.sms.requested, pd.sms.approved, pd.sms.denied, pd.sms.code_failed, pd.sms.failed
//	pd.action.reported     an action a data owner reported (automated or not)
//
// Events name the subject by reference ("citizen:<id>"), never by IIN. internal/notify
// tells the subject of pd.token.issued events that are not sealed, pd.access.notice,
// pd.action.reported (PD-3.4) and the consent events.
package pd
