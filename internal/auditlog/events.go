package auditlog

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types auditlog emits (see internal/evtype).
var (
	EvKeyAdded    = evtype.Register("auditlog.key.added", 1, evtype.Internal)
	EvKeyRetired  = evtype.Register("auditlog.key.retired", 1, evtype.Internal)
	EvKeyImported = evtype.Register("auditlog.key.imported", 1, evtype.Internal)
)
