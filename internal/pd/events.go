package pd

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types pd emits (see internal/evtype). Payload versions change only
// with the payload's shape.
var (
	EvConsentGiven   = evtype.Register("pd.consent.given", 1, evtype.Citizen)
	EvConsentRefused = evtype.Register("pd.consent.refused", 1, evtype.Citizen)
	EvConsentRevoked = evtype.Register("pd.consent.revoked", 1, evtype.Citizen)
	EvTokenIssued    = evtype.Register("pd.token.issued", 1, evtype.Citizen)
	EvActionReported = evtype.Register("pd.action.reported", 1, evtype.Citizen)
	EvAccessNotice   = evtype.Register("pd.access.notice", 1, evtype.Citizen)
	EvSMSRequested   = evtype.Register("pd.sms.requested", 1, evtype.Citizen)
	EvSMSApproved    = evtype.Register("pd.sms.approved", 1, evtype.Citizen)
	EvSMSDenied      = evtype.Register("pd.sms.denied", 1, evtype.Citizen)
	EvSMSExpired     = evtype.Register("pd.sms.expired", 1, evtype.Citizen)
	EvSMSLocked      = evtype.Register("pd.sms.locked", 1, evtype.Citizen)
	EvSMSIssued      = evtype.Register("pd.sms.issued", 1, evtype.Citizen)
	EvSMSFailed      = evtype.Register("pd.sms.failed", 1, evtype.Citizen)
	EvSMSCodeFailed  = evtype.Register("pd.sms.code_failed", 1, evtype.Citizen)
	EvKeyRotated     = evtype.Register("pd.key.rotated", 1, evtype.Internal)
	EvKeyWithdrawn   = evtype.Register("pd.key.withdrawn", 1, evtype.Internal)
	EvDataOwnerPut   = evtype.Register("pd.directory.data_owner.put", 1, evtype.Internal)
	EvServiceCodePut = evtype.Register("pd.directory.service_code.put", 1, evtype.Internal)
	EvGroundPut      = evtype.Register("pd.directory.ground.put", 1, evtype.Internal)
	EvPermissionsSet = evtype.Register("pd.directory.protocol_permissions.set", 1, evtype.Internal)
	EvObjectPut      = evtype.Register("pd.registry.object.put", 1, evtype.Internal)
	EvTR2Set         = evtype.Register("pd.registry.tr2.set", 1, evtype.Internal)
	// Complaints to the authorized body, and the deletion of a directory entry.
	EvComplaintFiled  = evtype.Register("pd.complaint.filed", 1, evtype.Citizen)
	EvComplaintStatus = evtype.Register("pd.complaint.status", 1, evtype.Citizen)
	EvEntryDeleted    = evtype.Register("pd.directory.entry.deleted", 1, evtype.Internal)
)

// consentEvent is the event type of a consent decision.
func consentEvent(decision string) string {
	if decision == DecisionRefused {
		return EvConsentRefused
	}
	return EvConsentGiven
}

// smsEvent is the event type of an SMS request's new status.
var smsEvent = map[string]string{
	SMSApproved: EvSMSApproved, SMSDenied: EvSMSDenied, SMSExpired: EvSMSExpired,
	SMSLocked: EvSMSLocked, SMSIssued: EvSMSIssued, SMSFailed: EvSMSFailed,
}
