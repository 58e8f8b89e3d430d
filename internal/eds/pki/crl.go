package pki

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Reason is a CRL reason code (RFC 5280, section 5.3.1).
type Reason int

// Reason codes. 7 is not used.
const (
	ReasonUnspecified          Reason = 0
	ReasonKeyCompromise        Reason = 1
	ReasonCACompromise         Reason = 2
	ReasonAffiliationChanged   Reason = 3
	ReasonSuperseded           Reason = 4
	ReasonCessationOfOperation Reason = 5
	ReasonCertificateHold      Reason = 6
	ReasonRemoveFromCRL        Reason = 8 // only in delta CRLs: the entry is no longer revoked
	ReasonPrivilegeWithdrawn   Reason = 9
	ReasonAACompromise         Reason = 10
)

var reasonNames = map[Reason]string{
	ReasonUnspecified: "unspecified", ReasonKeyCompromise: "keyCompromise",
	ReasonCACompromise: "cACompromise", ReasonAffiliationChanged: "affiliationChanged",
	ReasonSuperseded: "superseded", ReasonCessationOfOperation: "cessationOfOperation",
	ReasonCertificateHold: "certificateHold", ReasonRemoveFromCRL: "removeFromCRL",
	ReasonPrivilegeWithdrawn: "privilegeWithdrawn", ReasonAACompromise: "aACompromise",
}

// String returns the RFC 5280 name of the reason, e.g. "superseded".
func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Entry is one revoked certificate in a CRL.
type Entry struct {
	Serial         *big.Int
	RevocationTime time.Time
	Reason         Reason    // ReasonUnspecified when the entry has no reason code
	InvalidityDate time.Time // zero when absent
}

// CRL is a parsed certificate revocation list. Its signature is not checked by ParseCRL:
// check it with CheckSignatureFrom against the issuer.
type CRL struct {
	Raw       []byte // the whole DER CRL
	RawTBS    []byte // the signed part (tbsCertList)
	RawIssuer []byte // DER issuer Name
	Issuer    Subject

	// SignatureAlgorithm is the outer signatureAlgorithm; the inner one (in tbsCertList)
	// must have the same OID, but parameters may differ (the NCA puts NULL in only one).
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte

	ThisUpdate time.Time
	NextUpdate time.Time // zero when absent

	Number         *big.Int // cRLNumber; nil when absent
	BaseCRLNumber  *big.Int // deltaCRLIndicator: non-nil only for a delta CRL
	AuthorityKeyID []byte
	// ExpiredCertsOnCRL (RFC 5280, section 5.2.7 of X.509) is the date from which the CRL
	// keeps listing revoked certificates that have expired; zero when absent. Without it
	// a CRL says nothing about certificates that expired before its thisUpdate.
	ExpiredCertsOnCRL time.Time

	Entries    []Entry
	Extensions []pkix.Extension
	// UnhandledCritical lists critical CRL extensions this package does not understand
	// (e.g. issuingDistributionPoint). A Validator does not use such a CRL.
	UnhandledCritical []asn1.ObjectIdentifier

	index map[string]int // serial (hex) -> index in Entries
}

var (
	oidExtAKI            = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtCRLNumber      = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtDeltaCRL       = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidExtFreshestCRL    = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidExtReasonCode     = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidExtInvalidityDate = asn1.ObjectIdentifier{2, 5, 29, 24}
	oidExtExpiredCerts   = asn1.ObjectIdentifier{2, 5, 29, 60}
)

type certificateList struct {
	TBS    asn1.RawValue
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
}

type tbsCertList struct {
	Raw        asn1.RawContent
	Version    int `asn1:"optional,default:0"`
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	ThisUpdate time.Time
	NextUpdate time.Time        `asn1:"optional"`
	Revoked    []revokedEntry   `asn1:"optional"`
	Extensions []pkix.Extension `asn1:"tag:0,optional,explicit"`
}

type revokedEntry struct {
	Serial     *big.Int
	Time       time.Time
	Extensions []pkix.Extension `asn1:"optional"`
}

type authorityKeyID struct {
	ID []byte `asn1:"optional,tag:0"`
}

// ParseCRL parses a DER CRL (full or delta). It accepts inner and outer signature
// AlgorithmIdentifiers that differ only in their parameters, which
// crypto/x509.ParseRevocationList rejects. Errors wrap ErrMalformedCRL.
func ParseCRL(der []byte) (*CRL, error) {
	var cl certificateList
	rest, err := asn1.Unmarshal(der, &cl)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedCRL, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformedCRL)
	}
	var tbs tbsCertList
	if rest, err := asn1.Unmarshal(cl.TBS.FullBytes, &tbs); err != nil {
		return nil, fmt.Errorf("%w: tbsCertList: %v", ErrMalformedCRL, err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("%w: tbsCertList: trailing data", ErrMalformedCRL)
	}
	if tbs.Version != 0 && tbs.Version != 1 {
		return nil, fmt.Errorf("%w: version %d", ErrMalformedCRL, tbs.Version)
	}
	if !tbs.SigAlg.Algorithm.Equal(cl.SigAlg.Algorithm) {
		return nil, fmt.Errorf("%w: inner signature algorithm %v differs from outer %v",
			ErrMalformedCRL, tbs.SigAlg.Algorithm, cl.SigAlg.Algorithm)
	}
	if cl.Sig.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: signature is not a whole number of bytes", ErrMalformedCRL)
	}
	if tbs.Issuer.Class != asn1.ClassUniversal || tbs.Issuer.Tag != asn1.TagSequence {
		return nil, fmt.Errorf("%w: issuer is not a Name", ErrMalformedCRL)
	}

	c := &CRL{
		Raw:                der,
		RawTBS:             cl.TBS.FullBytes,
		RawIssuer:          tbs.Issuer.FullBytes,
		Issuer:             subjectOf(tbs.Issuer.FullBytes),
		SignatureAlgorithm: cl.SigAlg.Algorithm,
		Signature:          cl.Sig.Bytes,
		ThisUpdate:         tbs.ThisUpdate.UTC(),
		Extensions:         tbs.Extensions,
		Entries:            make([]Entry, 0, len(tbs.Revoked)),
		index:              make(map[string]int, len(tbs.Revoked)),
	}
	if !tbs.NextUpdate.IsZero() {
		c.NextUpdate = tbs.NextUpdate.UTC()
	}
	for _, ext := range tbs.Extensions {
		if err := c.applyExtension(ext); err != nil {
			return nil, err
		}
	}
	for i, r := range tbs.Revoked {
		e, err := parseEntry(r)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrMalformedCRL, i, err)
		}
		c.Entries = append(c.Entries, e)
		c.index[e.Serial.Text(16)] = len(c.Entries) - 1
	}
	return c, nil
}

func (c *CRL) applyExtension(ext pkix.Extension) error {
	switch {
	case ext.Id.Equal(oidExtAKI):
		var aki authorityKeyID
		if err := unmarshalAll(ext.Value, &aki); err != nil {
			return fmt.Errorf("%w: authority key identifier: %v", ErrMalformedCRL, err)
		}
		c.AuthorityKeyID = aki.ID
	case ext.Id.Equal(oidExtCRLNumber):
		n := new(big.Int)
		if err := unmarshalAll(ext.Value, &n); err != nil || n.Sign() < 0 {
			return fmt.Errorf("%w: CRL number: %v", ErrMalformedCRL, err)
		}
		c.Number = n
	case ext.Id.Equal(oidExtDeltaCRL):
		n := new(big.Int)
		if err := unmarshalAll(ext.Value, &n); err != nil || n.Sign() < 0 {
			return fmt.Errorf("%w: delta CRL indicator: %v", ErrMalformedCRL, err)
		}
		c.BaseCRLNumber = n
	case ext.Id.Equal(oidExtExpiredCerts):
		var t time.Time
		if err := unmarshalAll(ext.Value, &t); err != nil {
			return fmt.Errorf("%w: expiredCertsOnCRL: %v", ErrMalformedCRL, err)
		}
		c.ExpiredCertsOnCRL = t.UTC()
	case ext.Id.Equal(oidExtFreshestCRL):
		// Where to find delta CRLs: informative only.
	default:
		if ext.Critical {
			c.UnhandledCritical = append(c.UnhandledCritical, ext.Id)
		}
	}
	return nil
}

func parseEntry(r revokedEntry) (Entry, error) {
	if r.Serial == nil {
		return Entry{}, errors.New("no serial number")
	}
	e := Entry{Serial: r.Serial, RevocationTime: r.Time.UTC()}
	for _, ext := range r.Extensions {
		switch {
		case ext.Id.Equal(oidExtReasonCode):
			var code asn1.Enumerated
			if err := unmarshalAll(ext.Value, &code); err != nil {
				return Entry{}, fmt.Errorf("reason code: %v", err)
			}
			if code < 0 || code > 10 || code == 7 {
				return Entry{}, fmt.Errorf("reason code %d", code)
			}
			e.Reason = Reason(code)
		case ext.Id.Equal(oidExtInvalidityDate):
			var t time.Time
			if err := unmarshalAll(ext.Value, &t); err != nil {
				return Entry{}, fmt.Errorf("invalidity date: %v", err)
			}
			e.InvalidityDate = t.UTC()
		default:
			if ext.Critical {
				// e.g. certificateIssuer of an indirect CRL: we cannot tell whose entry it is.
				return Entry{}, fmt.Errorf("unhandled critical entry extension %v", ext.Id)
			}
		}
	}
	return e, nil
}

func unmarshalAll(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// IsDelta reports whether c is a delta CRL (it has a deltaCRLIndicator).
func (c *CRL) IsDelta() bool { return c.BaseCRLNumber != nil }

// Lookup returns the entry for a certificate serial number.
func (c *CRL) Lookup(serial *big.Int) (Entry, bool) {
	if serial == nil {
		return Entry{}, false
	}
	i, ok := c.index[serial.Text(16)]
	if !ok {
		return Entry{}, false
	}
	return c.Entries[i], true
}

// ApplyDelta returns the revocation state that base and delta describe together: the
// delta's entries replace or add to the base's, an entry with reason removeFromCRL
// removes the serial, and the times and number are the delta's. The result has no raw
// bytes or signature: check both CRLs' signatures before. It keeps expired certificates
// (ExpiredCertsOnCRL) only when both CRLs say so, from the later of their two dates. It fails (wrapping
// ErrCRLDeltaMissing) unless delta is a delta CRL of the same issuer whose base CRL number
// is not greater than base's CRL number, and base is a full CRL.
func ApplyDelta(base, delta *CRL) (*CRL, error) {
	switch {
	case base.IsDelta():
		return nil, fmt.Errorf("%w: base is itself a delta CRL", ErrCRLDeltaMissing)
	case !delta.IsDelta():
		return nil, fmt.Errorf("%w: not a delta CRL", ErrCRLDeltaMissing)
	case !bytes.Equal(base.RawIssuer, delta.RawIssuer):
		return nil, fmt.Errorf("%w: different issuers", ErrCRLDeltaMissing)
	case base.Number == nil || delta.Number == nil:
		return nil, fmt.Errorf("%w: CRL number missing", ErrCRLDeltaMissing)
	case base.Number.Cmp(delta.BaseCRLNumber) < 0:
		return nil, fmt.Errorf("%w: delta needs base CRL %v, have %v", ErrCRLDeltaMissing, delta.BaseCRLNumber, base.Number)
	case delta.Number.Cmp(base.Number) <= 0:
		return nil, fmt.Errorf("%w: delta %v is not newer than base %v", ErrCRLDeltaMissing, delta.Number, base.Number)
	}
	m := &CRL{
		RawIssuer:          base.RawIssuer,
		Issuer:             base.Issuer,
		SignatureAlgorithm: delta.SignatureAlgorithm,
		ThisUpdate:         delta.ThisUpdate,
		NextUpdate:         delta.NextUpdate,
		Number:             delta.Number,
		AuthorityKeyID:     delta.AuthorityKeyID,
		UnhandledCritical:  append(append([]asn1.ObjectIdentifier(nil), base.UnhandledCritical...), delta.UnhandledCritical...),
		Entries:            make([]Entry, 0, len(base.Entries)+len(delta.Entries)),
		index:              make(map[string]int, len(base.Entries)+len(delta.Entries)),
	}
	if !base.ExpiredCertsOnCRL.IsZero() && !delta.ExpiredCertsOnCRL.IsZero() {
		m.ExpiredCertsOnCRL = base.ExpiredCertsOnCRL
		if delta.ExpiredCertsOnCRL.After(m.ExpiredCertsOnCRL) {
			m.ExpiredCertsOnCRL = delta.ExpiredCertsOnCRL
		}
	}
	for _, e := range base.Entries {
		if _, ok := delta.Lookup(e.Serial); !ok {
			m.add(e)
		}
	}
	for _, e := range delta.Entries {
		if e.Reason != ReasonRemoveFromCRL {
			m.add(e)
		}
	}
	return m, nil
}

func (c *CRL) add(e Entry) {
	c.Entries = append(c.Entries, e)
	c.index[e.Serial.Text(16)] = len(c.Entries) - 1
}
