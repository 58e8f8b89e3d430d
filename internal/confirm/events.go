package confirm

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types confirm emits (see internal/evtype). notify turns
// EvRequestCreated into the citizen's "awaiting your confirmation" notice.
var (
	EvRequestCreated = evtype.Register("confirm.request.created", 1, evtype.Citizen)
	EvPushAnswered   = evtype.Register("confirm.push.answered", 1, evtype.Citizen)
	EvEDSSigned      = evtype.Register("confirm.eds.signed", 1, evtype.Citizen)
	// EvExpired: a pending request passed its deadline (emitted once, by SweepExpired).
	EvExpired = evtype.Register("confirm.request.expired", 1, evtype.Citizen)
)
