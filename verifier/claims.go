package verifier

// TokenType is the "typ" header of a security token.
const TokenType = "senim-st+jwt"

// Modes of access a security token is issued for.
const (
	ModeProactive = "proactive" // flow 1: a proactive service with the subject's consent (PD-6.1)
	ModeProtocol  = "protocol"  // flow 2: protocol mode on a legal ground, no consent (PD-6.2)
	ModeSMS       = "sms"       // flow 3: the subject approved by SMS (PD-6.3)
)

// Claims are the claims of a Senim security token.
type Claims struct {
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"` // the data owner's BIN
	Subject   string `json:"sub"` // the subject's IIN
	Initiator string `json:"azp"` // the initiator's BIN
	Mode      string `json:"mode"`
	// Scope lists the data sets the initiator may ask for.
	Scope   []string `json:"scope"`
	Purpose string   `json:"purpose,omitempty"`
	// Code is the proactive service code (flow 1) or the legal ground code (flow 2).
	Code string `json:"code,omitempty"`
	// ConsentID names the consent behind a flow-1 token (for the online check).
	ConsentID string `json:"cid,omitempty"`
	// Trusted says whether the initiator's system is a registered trusted object (TR-1).
	Trusted  bool   `json:"trusted"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	ID       string `json:"jti"`
	// Confirmation binds the token to the initiator's certificate (RFC 8705); nil when
	// the data owner's sender constraint is off.
	Confirmation *Confirmation `json:"cnf,omitempty"`
	// Event is the id of the outbox event that recorded the issuance; the audit log
	// proves its inclusion by that id.
	Event int64 `json:"evt,omitempty"`
}

// Confirmation is the RFC 8705 "cnf" claim.
type Confirmation struct {
	X5TS256 string `json:"x5t#S256"`
}
