package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// Policy is the preservation policy: when an archive time-stamp must be renewed and
// which hash algorithms may still carry evidence. The defaults are documented in
// docs/archive.md; every value can be configured.
type Policy struct {
	// Hash is the hash algorithm of new hash trees. Default Streebog-512 (GOST R
	// 34.11-2015), the NCA TSA's algorithm.
	Hash asn1.ObjectIdentifier
	// RenewBefore is the margin: an archive time-stamp is renewed when its TSA
	// certificate expires within this time. Default one year.
	RenewBefore time.Duration
	// WeakFrom maps a hash algorithm (dotted OID) to the moment it is considered weak.
	// Evidence made with it must have been renewed with another algorithm (hash-tree
	// renewal) before then; Renew does that for every batch whose algorithm weakens
	// within RenewBefore. Default: DefaultHashPolicy (hashpolicy.json: SHA-1 weak from
	// 2017-02-23, GOST 34.311-95 from 2020-01-01, SHA-2 and Streebog strong).
	WeakFrom map[string]time.Time
}

// DefaultPolicy returns the default preservation policy.
func DefaultPolicy() Policy {
	return Policy{}.withDefaults()
}

func (p Policy) withDefaults() Policy {
	if p.Hash == nil {
		p.Hash = oidStreebog512
	}
	if p.RenewBefore <= 0 {
		p.RenewBefore = 365 * 24 * time.Hour
	}
	if p.WeakFrom == nil {
		p.WeakFrom = DefaultHashPolicy()
	}
	return p
}

// weakAt reports whether alg is weak at t.
func (p Policy) weakAt(alg asn1.ObjectIdentifier, t time.Time) bool {
	w, ok := p.WeakFrom[alg.String()]
	return ok && !t.Before(w)
}

var (
	oidStreebog512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 3}
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA512      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidGOST34311   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1}
)

// Trust is what an offline verification trusts: the anchors, plus certificates and
// CRLs given from outside the evidence (the evidence's own are always used).
type Trust struct {
	Roots         []*x509.Certificate
	Intermediates []*x509.Certificate
	CRLs          []*pki.CRL
}

// validator builds a validator over trust and the revocation information carried by
// the evidence: CRLs, and OCSP answers (RFC 5940) answered offline by pki.StoredOCSP.
func (tr Trust) validator(embedded [][]byte) (*pki.Validator, error) {
	crls := append([]*pki.CRL(nil), tr.CRLs...)
	seen := map[string]bool{}
	embedded, ocsps := splitRevInfo(embedded)
	var oc pki.OCSPClient
	if len(ocsps) > 0 {
		oc = pki.NewStoredOCSP(ocsps)
	}
	for _, raw := range embedded {
		if seen[string(raw)] {
			continue
		}
		seen[string(raw)] = true
		c, err := pki.ParseCRL(raw)
		if err != nil {
			continue // an unreadable CRL is no evidence; the check reports unknown
		}
		crls = append(crls, c)
	}
	return pki.New(pki.Config{Roots: tr.Roots, Intermediates: tr.Intermediates, CRLs: crls, OCSP: oc})
}

// TimeStampCheck is the check of one archive time-stamp.
type TimeStampCheck struct {
	GenTime   time.Time
	TSA       string
	NotAfter  time.Time // of the TSA certificate
	Algorithm string    // dotted OID of the tree's hash
	Err       error
}

// RecordResult is the outcome of VerifyRecord.
type RecordResult struct {
	// Time is the genTime of the first archive time-stamp: the data existed then.
	Time time.Time
	// Until is the end of the last TSA certificate's validity: the evidence holds up to
	// then unless renewed.
	Until      time.Time
	TimeStamps []TimeStampCheck
	Valid      bool
	Err        error
}

// VerifyRecord checks that er proves the existence of objects (a document's content
// and signatures) at its first time-stamp and up to now. In every chain, every
// time-stamp verifies at its own genTime with the TSA's chain and the CRLs carried in
// the tokens, and each time-stamp renewal happened while the previous TSA certificate
// was still valid. The first chain covers the objects' hashes; each later chain (a
// hash-tree renewal, RFC 4998, section 5.2) covers H(H(o) + H(earlier chains)) for
// each object o, with its own algorithm, and its first time-stamp was made while the
// previous chain's last TSA certificate was valid and the previous chain's algorithm
// was not yet weak (ErrWeakHash otherwise). The last TSA certificate is valid at now
// and the last chain's algorithm is not weak at now. The result's Err wraps
// ErrNotCovered, ErrTimeStamp, ErrGap, ErrWeakHash, ErrMalformedRecord or
// ErrUnsupported.
func VerifyRecord(ctx context.Context, er *EvidenceRecord, objects [][]byte, trust Trust, now time.Time, policy Policy) *RecordResult {
	policy = policy.withDefaults()
	res := &RecordResult{}
	fail := func(err error) *RecordResult { res.Err = err; res.Valid = false; return res }
	if len(er.Chains) == 0 || len(er.Chains) > maxChains {
		return fail(fmt.Errorf("%w: %d chains", ErrMalformedRecord, len(er.Chains)))
	}
	var embedded [][]byte
	var certs []*x509.Certificate
	toks := make([][]*tsp.Token, len(er.Chains))
	n := 0
	for c, chain := range er.Chains {
		toks[c] = make([]*tsp.Token, len(chain))
		for i, ats := range chain {
			n++
			tok, err := tsp.ParseToken(ats.TimeStamp)
			if err != nil {
				return fail(fmt.Errorf("%w: time-stamp %d: %w", ErrTimeStamp, n, err))
			}
			toks[c][i] = tok
			embedded = append(embedded, tok.SignedData.RawCRLs...)
			certs = append(certs, tok.SignedData.Certificates...)
		}
	}
	v, err := trust.validator(embedded)
	if err != nil {
		return fail(err)
	}
	var prevCert *x509.Certificate
	var prevTime time.Time
	var prevAlg asn1.ObjectIdentifier
	n = 0
	for c, chain := range er.Chains {
		alg := chain[0].DigestAlgorithm
		if alg == nil {
			alg = toks[c][0].Info.HashAlgorithm
		}
		h, err := hasher(alg)
		if err != nil {
			return fail(err)
		}
		for i, ats := range chain {
			n++
			if ats.DigestAlgorithm != nil && !ats.DigestAlgorithm.Equal(alg) {
				return fail(fmt.Errorf("%w: time-stamp %d changes the hash algorithm inside a chain", ErrMalformedRecord, n))
			}
			tc := TimeStampCheck{Algorithm: alg.String()}
			failTS := func(err error) *RecordResult {
				tc.Err = err
				res.TimeStamps = append(res.TimeStamps, tc)
				return fail(err)
			}
			var hs [][]byte
			if i == 0 {
				if hs, err = objectHashes(h, objects, er.Chains[:c]); err != nil {
					return fail(err)
				}
			} else {
				hs = [][]byte{hashOf(h, chain[i-1].TimeStamp)}
			}
			if i == 0 && len(ats.ReducedHashtree) > 0 && !sameSet(ats.ReducedHashtree[0], hs) {
				// The first list is the document's whole data-object group: a container
				// that lost a signature file must not pass as the complete document. In a
				// renewing chain, a changed earlier chain changes every hash of the group.
				return failTS(fmt.Errorf("%w: time-stamp %d: the evidence covers other or more data objects than given", ErrNotCovered, n))
			}
			root, err := rootOf(h, ats.ReducedHashtree, hs)
			if err != nil {
				return failTS(fmt.Errorf("time-stamp %d: %w", n, err))
			}
			if !toks[c][i].Info.HashAlgorithm.Equal(alg) {
				return failTS(fmt.Errorf("%w: time-stamp %d imprint algorithm %s", ErrNotCovered, n, toks[c][i].Info.HashAlgorithm))
			}
			ver, err := tsp.VerifyToken(ctx, ats.TimeStamp, tsp.VerifyOptions{
				HashedMessage: root, Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationCRL}, Certificates: certs,
			})
			if ver != nil {
				tc.GenTime = ver.GenTime()
				if ver.Cert != nil {
					tc.NotAfter = ver.Cert.NotAfter
					tc.TSA = pki.Info(ver.Cert).Subject.DN
				}
			}
			if err != nil {
				if errors.Is(err, tsp.ErrImprintMismatch) {
					return failTS(fmt.Errorf("%w: time-stamp %d is over another tree: %w", ErrNotCovered, n, err))
				}
				return failTS(fmt.Errorf("%w: time-stamp %d: %w", ErrTimeStamp, n, err))
			}
			if prevCert != nil {
				switch {
				case !tc.GenTime.After(prevTime):
					return failTS(fmt.Errorf("%w: time-stamp %d is not later than the one it renews", ErrMalformedRecord, n))
				case tc.GenTime.After(prevCert.NotAfter):
					return failTS(fmt.Errorf("%w: time-stamp %d renewed at %s, after the previous TSA certificate expired at %s",
						ErrGap, n, tc.GenTime.UTC().Format(time.RFC3339), prevCert.NotAfter.UTC().Format(time.RFC3339)))
				case i == 0 && policy.weakAt(prevAlg, tc.GenTime):
					// rule DC-6: a hash-tree renewal protects the earlier chains only if
					// their algorithm was still strong when it was made.
					return failTS(fmt.Errorf("%w: the hash-tree renewal at %s came after %s had become weak",
						ErrWeakHash, tc.GenTime.UTC().Format(time.RFC3339), prevAlg))
				}
			}
			res.TimeStamps = append(res.TimeStamps, tc)
			prevCert, prevTime = ver.Cert, tc.GenTime
		}
		prevAlg = alg
	}
	res.Time = res.TimeStamps[0].GenTime
	res.Until = prevCert.NotAfter
	if now.After(prevCert.NotAfter) {
		return fail(fmt.Errorf("%w: the last archive time-stamp's TSA certificate expired at %s and was not renewed",
			ErrGap, prevCert.NotAfter.UTC().Format(time.RFC3339)))
	}
	if policy.weakAt(prevAlg, now) {
		return fail(fmt.Errorf("%w: %s, and no hash-tree renewal was made before it weakened", ErrWeakHash, prevAlg))
	}
	res.Valid = true
	return res
}

// withValidationData adds certificates and CRLs to a time-stamp token's SignedData
// (unsigned fields: the token's signature is unchanged), so that the record carries
// what verifies the TSA later (RFC 4998, section 5.2, before a renewal hashes it).
func withValidationData(token []byte, certs []*x509.Certificate, crls [][]byte) ([]byte, error) {
	sd, err := signeddata.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTimeStamp, err)
	}
	for _, c := range certs {
		sd.AddCertificate(c)
	}
	for _, c := range crls {
		if issuedOne(sd.Certificates, c) && !containsBytes(sd.RawCRLs, c) {
			sd.RawCRLs = append(sd.RawCRLs, c)
		}
	}
	return sd.Marshal()
}

// issuedOne reports whether the CRL crl was issued by the issuer of one of certs (by
// the raw issuer name, as the validator matches a CRL to a CA): a time-stamp carries
// the CRLs that decide its chain, not every CRL a deployment holds. A CRL that does
// not parse decides nothing and is left out.
func issuedOne(certs []*x509.Certificate, crl []byte) bool {
	issuer, ok := crlIssuer(crl)
	if !ok {
		return false
	}
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, issuer) {
			return true
		}
	}
	return false
}

// crlIssuer returns the DER issuer Name of a CRL without parsing its entries
// (RFC 5280, section 5.1: CertificateList, tbsCertList's version, signature, issuer).
func crlIssuer(der []byte) ([]byte, bool) {
	in := cryptobyte.String(der)
	var list, tbs cryptobyte.String
	var issuer cryptobyte.String
	if !in.ReadASN1(&list, casn1.SEQUENCE) || !list.ReadASN1(&tbs, casn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(casn1.INTEGER) || !tbs.SkipASN1(casn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&issuer, casn1.SEQUENCE) {
		return nil, false
	}
	return issuer, true
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

// sameSet reports whether a and b hold the same hash values (duplicates aside).
func sameSet(a, b [][]byte) bool {
	in := func(x []byte, l [][]byte) bool { return containsBytes(l, x) }
	for _, x := range a {
		if !in(x, b) {
			return false
		}
	}
	for _, x := range b {
		if !in(x, a) {
			return false
		}
	}
	return true
}
