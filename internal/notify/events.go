package notify

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types notify emits (see internal/evtype).
var (
	EvReceiptIssued   = evtype.Register("notify.receipt.issued", 1, evtype.Citizen)
	EvNoticeStatus    = evtype.Register("notify.notice.status", 1, evtype.Citizen)
	EvSenderSet       = evtype.Register("notify.directory.sender.set", 1, evtype.Internal)
	EvDeliveryRetried = evtype.Register("notify.delivery.retried", 1, evtype.Internal)
)

// ConfirmRequestType is internal/confirm's EvRequestCreated (confirm imports notify, so
// notify names it here; TestConfirmEventIsNotifys keeps the two equal).
const ConfirmRequestType = "confirm.request.created"
