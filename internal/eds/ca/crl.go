package ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/senimkz/senim/internal/eds/pki"
)

type tbsCertList struct {
	Version    int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	ThisUpdate time.Time
	NextUpdate time.Time
	Revoked    []revokedCert    `asn1:"optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type revokedCert struct {
	Serial     *big.Int
	Time       time.Time
	Extensions []pkix.Extension `asn1:"optional"`
}

// CRL returns the current full CRL (DER) of the authority name (e.g. "gost2015-ca"):
// every certificate it issued that is revoked, with reason codes, a CRL number,
// thisUpdate and nextUpdate = thisUpdate + 24 h. The same CRL is returned until a
// revocation or until it is 12 hours old; each new CRL gets the next CRL number.
func (c *CA) CRL(name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	au, err := c.authority(name)
	if err != nil {
		return nil, err
	}
	now := utc(c.cfg.Now())
	if !au.crlDirty && au.crlDER != nil && !now.Before(au.crlThis) && now.Before(au.crlThis.Add(crlRefresh)) {
		return au.crlDER, nil
	}
	var entries []revokedCert
	for _, r := range c.st.Certs {
		if r.Issuer != au.name || r.RevokedAt == nil {
			continue
		}
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("%w: serial %q", ErrStore, r.Serial)
		}
		e := revokedCert{Serial: serial, Time: r.RevokedAt.UTC()}
		if r.Reason != int(pki.ReasonUnspecified) {
			// RFC 5280, 5.3.1: reasonCode is omitted rather than "unspecified".
			x, err := ext(oidExtReasonCode, false, asn1.Enumerated(r.Reason))
			if err != nil {
				return nil, err
			}
			e.Extensions = []pkix.Extension{x}
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Serial.Cmp(entries[j].Serial) < 0 })

	number := c.st.CRLNumbers[au.name] + 1
	aki, err := ext(oidExtAKI, false, authorityKeyID{au.cert.SubjectKeyId})
	if err != nil {
		return nil, err
	}
	num, err := ext(oidExtCRLNumber, false, big.NewInt(number))
	if err != nil {
		return nil, err
	}
	der, err := sign(au.key, tbsCertList{
		Version:    1, // v2
		SigAlg:     sigAlgID(au.key),
		Issuer:     asn1.RawValue{FullBytes: au.cert.RawSubject},
		ThisUpdate: now,
		NextUpdate: now.Add(crlValidity),
		Revoked:    entries,
		Extensions: []pkix.Extension{aki, num},
	}, nil)
	if err != nil {
		return nil, err
	}
	c.st.CRLNumbers[au.name] = number
	if err := saveState(c.dir, c.st); err != nil {
		c.st.CRLNumbers[au.name] = number - 1
		return nil, err
	}
	au.crlDER, au.crlThis, au.crlDirty = der, now, false
	return der, nil
}

// CRLs returns the current CRL of every authority, parsed, ready for pki.Config.CRLs.
func (c *CA) CRLs() ([]*pki.CRL, error) {
	var out []*pki.CRL
	for _, au := range c.auths {
		der, err := c.CRL(au.name)
		if err != nil {
			return nil, err
		}
		crl, err := pki.ParseCRL(der)
		if err != nil {
			return nil, fmt.Errorf("ca: made an unparsable CRL: %w", err)
		}
		out = append(out, crl)
	}
	return out, nil
}
