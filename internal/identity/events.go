package identity

import "github.com/senimkz/senim/internal/evtype"

// The outbox event types identity emits (see internal/evtype).
var (
	EvCitizenCreated      = evtype.Register("identity.citizen.created", 1, evtype.Citizen)
	EvOrganizationCreated = evtype.Register("identity.organization.created", 1, evtype.Internal)
	// EvOrganizationSet: the authorized body registered or changed an organisation
	// (PutOrganization); the payload is its BIN and what it became.
	EvOrganizationSet = evtype.Register("identity.organization.set", 1, evtype.Internal)
	EvLoginCodeSent   = evtype.Register("identity.login.code_sent", 1, evtype.Citizen)
	EvLoginFailed     = evtype.Register("identity.login.failed", 1, evtype.Citizen)
	EvSessionOpened   = evtype.Register("identity.session.opened", 1, evtype.Citizen)
	EvSessionClosed   = evtype.Register("identity.session.closed", 1, evtype.Citizen)
)
