package notify

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types notify emits (see internal/evtype).
var EvReceiptIssued = evtype.Register("notify.receipt.issued", 1, evtype.Citizen)
