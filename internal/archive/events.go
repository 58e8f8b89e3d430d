package archive

import "github.com/senimkz/senim/internal/evtype"

// The archive's outbox event types. Payloads hold the document's random id and counts
// only, never content, names or identifiers of people.
var (
	EvIngested = evtype.Register("archive.document.ingested", 1, evtype.Citizen)
	EvViewed   = evtype.Register("archive.document.viewed", 1, evtype.Citizen)
	EvExported = evtype.Register("archive.document.exported", 1, evtype.Citizen)
	EvSealed   = evtype.Register("archive.batch.sealed", 1, evtype.Internal)
	EvRenewed  = evtype.Register("archive.evidence.renewed", 1, evtype.Internal)
)
