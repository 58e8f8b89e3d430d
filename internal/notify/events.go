package notify

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types notify emits (see internal/evtype).
var EvReceiptIssued = evtype.Register("notify.receipt.issued", 1, evtype.Citizen)

// ConfirmRequestType is internal/confirm's EvRequestCreated (confirm imports notify, so
// notify names it here; TestConfirmEventIsNotifys keeps the two equal).
const ConfirmRequestType = "confirm.request.created"
