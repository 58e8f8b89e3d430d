package ca

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/senimkz/senim/internal/eds/pki"
)

// OCSP limits: a request larger than maxOCSPRequest bytes or asking about more than
// maxOCSPCerts certificates is refused as malformed.
const (
	maxOCSPRequest = 16 << 10
	maxOCSPCerts   = 32
	maxNonce       = 32 // RFC 8954
)

type ocspCertID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	Serial         *big.Int
}

type ocspSingleRequest struct {
	CertID     asn1.RawValue
	Extensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type ocspTBSRequest struct {
	Version       int           `asn1:"explicit,tag:0,default:0,optional"`
	RequestorName asn1.RawValue `asn1:"explicit,tag:1,optional"`
	Requests      []ocspSingleRequest
	Extensions    []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type ocspRequestASN struct {
	TBS       ocspTBSRequest
	Signature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

// ocspRequest is a parsed OCSP request.
type ocspRequest struct {
	certIDs    []ocspCertID
	rawCertIDs [][]byte
	nonce      []byte // the nonce extension's value as received (nil when absent)
}

var errMalformedOCSP = errors.New("malformed OCSP request")

// parseOCSPRequest parses a DER OCSPRequest (RFC 6960, 4.1.1). Signed requests are
// accepted and their signature ignored, as the NCA's responder does.
func parseOCSPRequest(der []byte) (*ocspRequest, error) {
	if len(der) > maxOCSPRequest {
		return nil, fmt.Errorf("%w: larger than %d bytes", errMalformedOCSP, maxOCSPRequest)
	}
	var r ocspRequestASN
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformedOCSP, err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: trailing data", errMalformedOCSP)
	}
	if r.TBS.Version != 0 {
		return nil, fmt.Errorf("%w: version %d", errMalformedOCSP, r.TBS.Version)
	}
	if n := len(r.TBS.Requests); n == 0 || n > maxOCSPCerts {
		return nil, fmt.Errorf("%w: %d certificates asked", errMalformedOCSP, n)
	}
	out := &ocspRequest{}
	for _, sr := range r.TBS.Requests {
		var id ocspCertID
		rest, err := asn1.Unmarshal(sr.CertID.FullBytes, &id)
		if err != nil || len(rest) > 0 || id.Serial == nil {
			return nil, fmt.Errorf("%w: CertID", errMalformedOCSP)
		}
		out.certIDs = append(out.certIDs, id)
		out.rawCertIDs = append(out.rawCertIDs, sr.CertID.FullBytes)
	}
	for _, e := range r.TBS.Extensions {
		if !e.Id.Equal(oidOCSPNonce) {
			if e.Critical {
				return nil, fmt.Errorf("%w: unknown critical extension %v", errMalformedOCSP, e.Id)
			}
			continue
		}
		if out.nonce != nil {
			return nil, fmt.Errorf("%w: two nonces", errMalformedOCSP)
		}
		n := e.Value
		var inner []byte
		if rest, err := asn1.Unmarshal(e.Value, &inner); err == nil && len(rest) == 0 {
			n = inner // the NCA and RFC 8954 wrap the nonce in an OCTET STRING
		}
		if len(n) == 0 || len(n) > maxNonce {
			return nil, fmt.Errorf("%w: nonce of %d bytes", errMalformedOCSP, len(n))
		}
		out.nonce = bytes.Clone(e.Value)
	}
	return out, nil
}

type ocspResponseASN struct {
	Status asn1.Enumerated
	Bytes  ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	Type     asn1.ObjectIdentifier
	Response []byte
}

type ocspResponseData struct {
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []ocspSingleResponse
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspSingleResponse struct {
	CertID     asn1.RawValue
	Status     asn1.RawValue
	ThisUpdate time.Time `asn1:"generalized"`
	NextUpdate time.Time `asn1:"generalized,explicit,tag:0,optional"`
}

type ocspRevokedInfo struct {
	Time   time.Time       `asn1:"generalized"`
	Reason asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

func ocspStatusOnly(status int) []byte {
	der, _ := asn1.Marshal(ocspResponseASN{Status: asn1.Enumerated(status)})
	return der
}

// RespondOCSP answers a DER OCSP request with a DER OCSP response. It never fails: a
// malformed request gets malformedRequest, a request about a certificate of no
// authority here unauthorized, an internal failure internalError (RFC 6960, 4.2.1).
func (c *CA) RespondOCSP(der []byte) []byte {
	req, err := parseOCSPRequest(der)
	if err != nil {
		return ocspStatusOnly(pki.OCSPMalformedRequest)
	}
	// The first CertID selects the signing authority; CertIDs of other issuers in the
	// same request are answered unknown.
	signer := c.issuerOf(req.certIDs[0])
	if signer == nil {
		return ocspStatusOnly(pki.OCSPUnauthorized)
	}
	now := utc(c.cfg.Now())
	data := ocspResponseData{
		ResponderID: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: signer.cert.RawSubject},
		ProducedAt:  now,
	}
	c.mu.Lock()
	for i, id := range req.certIDs {
		sr := ocspSingleResponse{CertID: asn1.RawValue{FullBytes: req.rawCertIDs[i]}, ThisUpdate: now, NextUpdate: now.Add(ocspValidity)}
		status, err := c.certStatus(signer, id)
		if err != nil {
			c.mu.Unlock()
			return ocspStatusOnly(pki.OCSPInternalError)
		}
		sr.Status = status
		data.Responses = append(data.Responses, sr)
	}
	c.mu.Unlock()
	if req.nonce != nil {
		data.Extensions = []pkix.Extension{{Id: oidOCSPNonce, Value: req.nonce}}
	}
	basic, err := sign(signer.key, data, nil)
	if err != nil {
		return ocspStatusOnly(pki.OCSPInternalError)
	}
	out, err := asn1.Marshal(ocspResponseASN{Status: pki.OCSPSuccessful, Bytes: ocspResponseBytes{Type: oidOCSPBasic, Response: basic}})
	if err != nil {
		return ocspStatusOnly(pki.OCSPInternalError)
	}
	return out
}

// issuerOf returns the authority a CertID names, or nil.
func (c *CA) issuerOf(id ocspCertID) *authority {
	for _, au := range c.auths {
		var nh, kh []byte
		switch {
		case id.HashAlgorithm.Algorithm.Equal(oidDigestSHA1):
			nh, kh = au.nameHash1, au.keyHash1
		case id.HashAlgorithm.Algorithm.Equal(oidDigestSHA256):
			nh, kh = au.nameHash256, au.keyHash256
		default:
			return nil
		}
		if bytes.Equal(nh, id.IssuerNameHash) && bytes.Equal(kh, id.IssuerKeyHash) {
			return au
		}
	}
	return nil
}

// certStatus encodes the CertStatus CHOICE of one certificate. Callers hold c.mu.
func (c *CA) certStatus(signer *authority, id ocspCertID) (asn1.RawValue, error) {
	good := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0}
	unknown := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2}
	if c.issuerOf(id) != signer {
		return unknown, nil
	}
	rec, ok := c.bySerial[serialHex(id.Serial)]
	if !ok || id.Serial.Sign() <= 0 || rec.Issuer != signer.name {
		return unknown, nil
	}
	if rec.RevokedAt == nil {
		return good, nil
	}
	info := ocspRevokedInfo{Time: rec.RevokedAt.UTC()}
	if rec.Reason != int(pki.ReasonUnspecified) {
		info.Reason = asn1.Enumerated(rec.Reason)
	}
	der, err := asn1.Marshal(info)
	if err != nil {
		return asn1.RawValue{}, err
	}
	var s asn1.RawValue
	if _, err := asn1.Unmarshal(der, &s); err != nil {
		return asn1.RawValue{}, err
	}
	// [1] IMPLICIT RevokedInfo: the SEQUENCE's content under a constructed [1] tag.
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: s.Bytes}, nil
}
