package pki

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// RevocationMethod names a source of revocation status, as in NCANode's revocationCheck.
type RevocationMethod string

// Revocation methods.
const (
	RevocationCRL  RevocationMethod = "CRL"
	RevocationOCSP RevocationMethod = "OCSP"
)

// RevocationStatus is the outcome of one revocation check.
type RevocationStatus string

// Revocation statuses. Unknown is never good: the caller decides what it tolerates.
const (
	StatusNotChecked RevocationStatus = "not_checked"
	StatusGood       RevocationStatus = "good"
	StatusRevoked    RevocationStatus = "revoked"
	StatusUnknown    RevocationStatus = "unknown"
)

// OCSPStatus is a checked OCSP answer about one certificate.
type OCSPStatus struct {
	Status     RevocationStatus // good, revoked or unknown (the responder does not know it)
	RevokedAt  time.Time
	Reason     Reason
	ProducedAt time.Time
	ThisUpdate time.Time
	NextUpdate time.Time // zero when the responder gives none
	// ArchiveCutoff is zero when the responder gives none: then a good answer produced
	// after the certificate expired says nothing about it.
	ArchiveCutoff time.Time
	Cached        bool // served from the cache, no request was made
	// Raw is the DER OCSPResponse the status was read from (kept so that a signature can
	// carry it: CAdES-LT, RFC 5940); nil when the client does not keep it.
	Raw []byte
}

// OCSPClient asks an OCSP responder about cert, issued by issuer. It returns an error
// (wrapping one of the ErrOCSP… sentinels) when it has no trustworthy answer.
// *OCSPChecker implements it.
type OCSPClient interface {
	Check(ctx context.Context, cert, issuer *x509.Certificate) (*OCSPStatus, error)
}

// Config configures a Validator.
type Config struct {
	// Roots are the trust anchors, trusted directly: self-issued roots, or CA
	// certificates below a root that the operator chooses to trust by themselves (as
	// NCANode trusts configured CA certificates; the roots of the older NCA hierarchies are
	// not always at hand). A chain ends at the first anchor it reaches; Result.Anchor says
	// which kind it was. Nothing else is ever trusted: with no roots, every certificate is
	// untrusted.
	Roots []*x509.Certificate
	// Intermediates may be used to build chains; they are not trusted by themselves.
	Intermediates []*x509.Certificate
	// CRLs are full and delta CRLs of any issuer; each is used only after its signature
	// verifies against the issuer found for the certificate being checked.
	CRLs []*CRL
	// OCSP is optional; without it an OCSP check reports unknown.
	OCSP OCSPClient
	// Clock gives the current time. Revocation evidence is judged fresh at the validation
	// time, not at the clock, so the Validator itself no longer reads it; it stays so that
	// configurations keep compiling. Default time.Now.
	Clock func() time.Time
	// MaxChainLength bounds the chain, leaf and anchor included. Default 8.
	MaxChainLength int
}

// Options are per-call choices.
type Options struct {
	// Revocation lists the checks to run. None: revocation is not checked.
	Revocation []RevocationMethod
	// Intermediates are extra untrusted certificates for building the chain, e.g. the
	// certificates carried in a CMS signature.
	Intermediates []*x509.Certificate
}

// SignatureCheck is the check of one certificate's signature by its issuer.
type SignatureCheck struct {
	Subject   string // DN of the signed certificate
	Issuer    string // DN of the issuer whose key checked it
	Algorithm string // NCANode name, e.g. "ECGOST3410-2015-512"
	Err       error  // nil when the signature verified
}

// PeriodCheck is the check of one certificate's validity period at the requested time.
type PeriodCheck struct {
	Subject   string
	NotBefore time.Time
	NotAfter  time.Time
	Err       error // nil, ErrExpired or ErrNotYetValid
}

// RevocationCheck is the result of one revocation method for the leaf certificate.
type RevocationCheck struct {
	Method RevocationMethod
	Status RevocationStatus
	// RevokedAt and Reason are set whenever the deciding source lists the certificate,
	// or another authentic CRL lists a permanent revocation of it. A revocation after the
	// requested time leaves Status good: the certificate was not revoked then.
	RevokedAt time.Time
	Reason    Reason
	// ThisUpdate and NextUpdate are those of the evidence used (CRL or OCSP response).
	ThisUpdate time.Time
	NextUpdate time.Time
	CRLNumber  string // the CRL number used (the delta's when a delta was applied)
	// OCSPResponse is the DER OCSPResponse of an OCSP check, when the client kept it.
	OCSPResponse []byte
	Err          error // why the status is unknown, or ErrRevoked
	// Basis says why the deciding evidence decided (one of the Basis… values); "" when
	// nothing decided.
	Basis string
	// Evidence lists every piece of evidence considered, the deciding one marked Decided
	// and each other with the reason it was set aside.
	Evidence []Evidence
}

// AnchorKind is the kind of trust anchor that ended a chain.
type AnchorKind string

// Anchor kinds.
const (
	AnchorRoot         AnchorKind = "root"         // a self-issued root
	AnchorIntermediate AnchorKind = "intermediate" // a CA certificate trusted directly, its own issuer not consulted
)

// anchorKind tells the kind of a configured anchor.
func anchorKind(c *x509.Certificate) AnchorKind {
	if bytes.Equal(c.RawIssuer, c.RawSubject) {
		return AnchorRoot
	}
	return AnchorIntermediate
}

// Result reports every check separately.
type Result struct {
	At time.Time
	// Valid: a chain to a configured root was built and every signature in it verified,
	// every certificate of the chain is inside its validity period at At, no requested
	// revocation method says revoked, and, when revocation was requested, at least one
	// method says good.
	Valid bool
	// Chain is leaf first, trust anchor last; nil when no chain was built.
	Chain []*x509.Certificate
	// Anchor is the kind of the trust anchor that ended Chain; "" when no chain was built.
	Anchor     AnchorKind
	ChainErr   error // nil, or wraps ErrUntrusted, ErrCertSignature, ErrNotCA
	Signatures []SignatureCheck
	Periods    []PeriodCheck // of every certificate in Chain (only the leaf without a chain)
	CRL        RevocationCheck
	OCSP       RevocationCheck
	// Errors holds every failed check's error, each with a stable Code.
	Errors []error
}

// Validator validates certificate chains against configured trust anchors only. It is
// safe for concurrent use.
type Validator struct {
	roots    map[[32]byte]bool // SHA-256 of Raw of every root
	byName   map[string][]*x509.Certificate
	crls     atomic.Pointer[[]*CRL]
	ocsp     OCSPClient
	clock    func() time.Time
	maxDepth int
	sigs     *sigVerifier

	mu       sync.Mutex
	crlCheck map[crlKey]error  // CRL signature results per issuer key
	dns      map[string]string // DER name -> DN string, bounded
}

const maxCachedDNs = 4096

// dn returns the DN string of a DER name, remembering it: rendering names was most of the
// cost of a validation whose signatures are cached.
func (v *Validator) dn(raw []byte) string {
	v.mu.Lock()
	s, ok := v.dns[string(raw)]
	v.mu.Unlock()
	if ok {
		return s
	}
	s = subjectOf(raw).DN
	v.mu.Lock()
	if len(v.dns) >= maxCachedDNs {
		clear(v.dns)
	}
	v.dns[string(raw)] = s
	v.mu.Unlock()
	return s
}

type crlKey struct {
	crl    *CRL
	issuer [32]byte
}

// New checks cfg and returns a Validator.
func New(cfg Config) (*Validator, error) {
	v := &Validator{
		roots:    make(map[[32]byte]bool),
		byName:   make(map[string][]*x509.Certificate),
		ocsp:     cfg.OCSP,
		clock:    cfg.Clock,
		maxDepth: cfg.MaxChainLength,
		sigs:     newSigVerifier(),
		crlCheck: make(map[crlKey]error),
		dns:      make(map[string]string),
	}
	if v.clock == nil {
		v.clock = time.Now
	}
	if v.maxDepth <= 0 {
		v.maxDepth = 8
	}
	for _, c := range cfg.Roots {
		if c == nil {
			return nil, errors.New("pki: nil root certificate")
		}
		v.roots[sha256.Sum256(c.Raw)] = true
		v.addCandidate(c)
	}
	for _, c := range cfg.Intermediates {
		if c == nil {
			return nil, errors.New("pki: nil intermediate certificate")
		}
		v.addCandidate(c)
	}
	v.SetCRLs(cfg.CRLs)
	return v, nil
}

func (v *Validator) addCandidate(c *x509.Certificate) {
	k := string(c.RawSubject)
	for _, x := range v.byName[k] {
		if bytes.Equal(x.Raw, c.Raw) {
			return
		}
	}
	v.byName[k] = append(v.byName[k], c)
}

// SetCRLs replaces the CRLs the Validator uses (e.g. after a scheduled download).
func (v *Validator) SetCRLs(crls []*CRL) {
	cp := slices.Clone(crls)
	v.crls.Store(&cp)
	v.mu.Lock()
	clear(v.crlCheck)
	v.mu.Unlock()
}

// Validate checks leaf at time at (the signing time proven by a time-stamp, or now).
func (v *Validator) Validate(ctx context.Context, leaf *x509.Certificate, at time.Time, opts Options) Result {
	res := Result{
		At:   at,
		CRL:  RevocationCheck{Method: RevocationCRL, Status: StatusNotChecked},
		OCSP: RevocationCheck{Method: RevocationOCSP, Status: StatusNotChecked},
	}
	if leaf == nil {
		res.ChainErr = fmt.Errorf("%w: no certificate", ErrMalformedCert)
		res.Errors = append(res.Errors, res.ChainErr)
		return res
	}

	b := chainBuilder{v: v, extra: opts.Intermediates}
	chain, err := b.build(leaf)
	res.Signatures = b.sigs
	if err != nil {
		res.ChainErr = err
		res.Errors = append(res.Errors, err)
	} else {
		res.Chain = chain
		res.Anchor = anchorKind(chain[len(chain)-1])
	}

	periodOf := res.Chain
	if periodOf == nil {
		periodOf = []*x509.Certificate{leaf}
	}
	for _, c := range periodOf {
		p := PeriodCheck{Subject: v.dn(c.RawSubject), NotBefore: c.NotBefore, NotAfter: c.NotAfter}
		switch {
		case at.Before(c.NotBefore):
			p.Err = fmt.Errorf("%w: %s is valid from %s", ErrNotYetValid, p.Subject, c.NotBefore.UTC().Format(time.RFC3339))
		case at.After(c.NotAfter):
			p.Err = fmt.Errorf("%w: %s expired at %s", ErrExpired, p.Subject, c.NotAfter.UTC().Format(time.RFC3339))
		}
		if p.Err != nil {
			res.Errors = append(res.Errors, p.Err)
		}
		res.Periods = append(res.Periods, p)
	}

	requested := 0
	if len(res.Chain) > 1 {
		issuer := res.Chain[1]
		for _, m := range opts.Revocation {
			switch m {
			case RevocationCRL:
				res.CRL = v.checkCRL(leaf, issuer, at)
			case RevocationOCSP:
				res.OCSP = v.checkOCSP(ctx, leaf, issuer, at)
			default:
				continue
			}
			requested++
		}
	}

	if (res.CRL.Status == StatusGood || res.CRL.Status == StatusRevoked) && res.OCSP.Err != nil && notStored(res.OCSP.Err) {
		// Offline, the evidence holds no OCSP answer about this certificate and its CRL
		// decided: nothing failed, there was no responder to ask. Listing "OCSP
		// unavailable" beside the CRL's verdict would misread as a doubt about it.
		res.OCSP = RevocationCheck{Method: RevocationOCSP, Status: StatusNotChecked}
	}
	good, revoked := 0, 0
	for _, rc := range []*RevocationCheck{&res.CRL, &res.OCSP} {
		switch rc.Status {
		case StatusGood:
			good++
		case StatusRevoked:
			revoked++
		}
		if rc.Err != nil {
			res.Errors = append(res.Errors, rc.Err)
		}
	}
	res.Valid = res.ChainErr == nil && revoked == 0 && (requested == 0 || good > 0)
	for _, p := range res.Periods {
		if p.Err != nil {
			res.Valid = false
		}
	}
	return res
}

// chainBuilder finds a path from a leaf to a configured root by issuer name and key
// identifiers, checking each signature on the way. It is depth-limited and never visits a
// certificate twice on one path.
type chainBuilder struct {
	v     *Validator
	extra []*x509.Certificate
	sigs  []SignatureCheck
}

func (b *chainBuilder) build(leaf *x509.Certificate) ([]*x509.Certificate, error) {
	if b.v.roots[sha256.Sum256(leaf.Raw)] {
		return []*x509.Certificate{leaf}, nil
	}
	chain, err := b.extend([]*x509.Certificate{leaf})
	if err != nil {
		return nil, err
	}
	return chain, nil
}

func (b *chainBuilder) candidates(c *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	match := func(p *x509.Certificate) bool {
		return len(c.AuthorityKeyId) == 0 || len(p.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, p.SubjectKeyId)
	}
	for _, p := range b.v.byName[string(c.RawIssuer)] {
		if match(p) {
			out = append(out, p)
		}
	}
	for _, p := range b.extra {
		if p != nil && bytes.Equal(p.RawSubject, c.RawIssuer) && match(p) {
			out = append(out, p)
		}
	}
	return out
}

func (b *chainBuilder) extend(path []*x509.Certificate) ([]*x509.Certificate, error) {
	cur := path[len(path)-1]
	if len(path) >= b.v.maxDepth {
		return nil, fmt.Errorf("%w: chain longer than %d", ErrUntrusted, b.v.maxDepth)
	}
	lastErr := fmt.Errorf("%w: no configured issuer for %s", ErrUntrusted, b.v.dn(cur.RawIssuer))
	for _, p := range b.candidates(cur) {
		if slices.ContainsFunc(path, func(x *x509.Certificate) bool { return bytes.Equal(x.Raw, p.Raw) }) {
			continue // a loop
		}
		if !canIssue(p) {
			lastErr = fmt.Errorf("%w: %s", ErrNotCA, b.v.dn(p.RawSubject))
			continue
		}
		if err := b.checkSignature(cur, p); err != nil {
			lastErr = err
			continue
		}
		next := append(slices.Clip(path), p)
		if b.v.roots[sha256.Sum256(p.Raw)] {
			return next, nil
		}
		chain, err := b.extend(next)
		if err == nil {
			return chain, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func (b *chainBuilder) checkSignature(c, issuer *x509.Certificate) error {
	sc := SignatureCheck{Subject: b.v.dn(c.RawSubject), Issuer: b.v.dn(issuer.RawSubject)}
	alg, err := certSignatureAlgorithm(c.Raw)
	if err == nil {
		sc.Algorithm = algorithmName(alg)
		err = b.v.sigs.check(issuer.RawSubjectPublicKeyInfo, alg, c.RawTBSCertificate, c.Signature)
		if err != nil {
			err = fmt.Errorf("%w: %s signed by %s: %w", ErrCertSignature, sc.Subject, sc.Issuer, err)
		}
	}
	sc.Err = err
	b.sigs = append(b.sigs, sc)
	return err
}

// CanIssue reports whether c may sign certificates, by the rule the chain builder
// applies: a CA by its basic constraints (a v3 certificate must have them) and, when it
// has a key usage, with keyCertSign.
func CanIssue(c *x509.Certificate) bool { return canIssue(c) }

// canIssue reports whether c may sign certificates: a CA by its basic constraints and,
// when it has a key usage, with keyCertSign.
func canIssue(c *x509.Certificate) bool {
	if c.BasicConstraintsValid && !c.IsCA {
		return false
	}
	if c.Version == 3 && !c.BasicConstraintsValid {
		return false
	}
	return c.KeyUsage == 0 || c.KeyUsage&x509.KeyUsageCertSign != 0
}

// checkCRLSignature checks that issuer issued crl: names, key identifiers, key usage and
// signature. Errors wrap ErrCRLSignature.
func checkCRLSignature(sv *sigVerifier, crl *CRL, issuer *x509.Certificate) error {
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return fmt.Errorf("%w: CRL issuer is not %s", ErrCRLSignature, subjectOf(issuer.RawSubject).DN)
	}
	if len(crl.AuthorityKeyID) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(crl.AuthorityKeyID, issuer.SubjectKeyId) {
		return fmt.Errorf("%w: authority key identifier does not match the issuer", ErrCRLSignature)
	}
	if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return fmt.Errorf("%w: issuer key may not sign CRLs", ErrCRLSignature)
	}
	if crl.RawTBS == nil {
		return fmt.Errorf("%w: no signed data (a merged CRL)", ErrCRLSignature)
	}
	if err := sv.check(issuer.RawSubjectPublicKeyInfo, crl.SignatureAlgorithm, crl.RawTBS, crl.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrCRLSignature, err)
	}
	return nil
}

// CheckSignatureFrom checks that issuer signed the CRL (any algorithm package eds knows,
// GOST included): the issuer's subject must be the CRL's issuer, the key identifiers must
// match when both are present, and the issuer's key usage must allow CRL signing. Errors
// wrap ErrCRLSignature.
func (c *CRL) CheckSignatureFrom(issuer *x509.Certificate) error {
	return checkCRLSignature(defaultVerifier, c, issuer)
}

// defaultVerifier serves CRL.CheckSignatureFrom.
var defaultVerifier = newSigVerifier()

func (v *Validator) crlSignatureOK(crl *CRL, issuer *x509.Certificate) error {
	k := crlKey{crl: crl, issuer: sha256.Sum256(issuer.RawSubjectPublicKeyInfo)}
	v.mu.Lock()
	err, ok := v.crlCheck[k]
	v.mu.Unlock()
	if ok {
		return err
	}
	err = checkCRLSignature(v.sigs, crl, issuer)
	v.mu.Lock()
	v.crlCheck[k] = err
	v.mu.Unlock()
	return err
}

// Reasons why a piece of revocation evidence did not decide (Evidence.SetAside).
const (
	SetAsideNotAuthentic      = "not_authentic"       // its signature does not verify with the issuer's key
	SetAsideUnhandledCritical = "unhandled_critical"  // it has a critical extension this package does not understand
	SetAsideNoBase            = "delta_without_base"  // a delta CRL whose base CRL is not given
	SetAsideIssuedAfterExpiry = "issued_after_expiry" // issued after the certificate expired: silent about it
	SetAsideStale             = "stale_for_time"      // neither current at the validation time nor issued after it
	SetAsideSuperseded        = "superseded"          // usable, but another piece decided
	SetAsideNotIssued         = "not_issued"          // OCSP: the CA never issued the certificate
	SetAsideUnknownCert       = "unknown_cert"        // OCSP: the responder does not know the certificate
)

// Bases of a decision (RevocationCheck.Basis).
const (
	BasisCoversTime      = "covers_time"       // the evidence was current at the validation time
	BasisIssuedAfterTime = "issued_after_time" // the earliest evidence issued after the validation time
	BasisListsRevocation = "lists_revocation"  // authentic evidence lists a revocation at or before the validation time
)

// Evidence is one piece of revocation evidence a check considered: a CRL (a delta CRL
// applied to its base counts as one) or an OCSP answer.
type Evidence struct {
	CRLNumber     string // CRL only; the delta's number for a delta applied to its base
	BaseCRLNumber string // the number of the base CRL a delta was applied to
	ThisUpdate    time.Time
	NextUpdate    time.Time // zero when absent
	ProducedAt    time.Time // OCSP only
	// Decided is true for the evidence the status comes from; otherwise SetAside says why
	// it did not decide (one of the SetAside… values).
	Decided  bool
	SetAside string
}

func crlEvidence(c *CRL, setAside string) Evidence {
	e := Evidence{ThisUpdate: c.ThisUpdate, NextUpdate: c.NextUpdate, SetAside: setAside}
	if c.Number != nil {
		e.CRLNumber = c.Number.String()
	}
	return e
}

// speaksFor reports whether evidence issued at thisUpdate and current until nextUpdate
// says anything about time at: it was current then, or issued at or after it. Freshness is
// judged at the validation time only, never at the wall clock, so an archived CRL current
// at a past time still decides for that time.
func speaksFor(thisUpdate, nextUpdate, at time.Time) (covers, after bool) {
	covers = !thisUpdate.After(at) && !nextUpdate.IsZero() && !at.After(nextUpdate)
	after = !thisUpdate.Before(at)
	return covers, after
}

// crlAnswersFor reports whether crl can tell the status of a certificate that expires at
// notAfter: a CA may drop a certificate from its CRLs once it has expired (RFC 5280,
// section 3.3), so only a CRL issued while it was valid, or one that keeps expired
// certificates from a date not after notAfter, can.
func crlAnswersFor(crl *CRL, notAfter time.Time) bool {
	if !crl.ThisUpdate.After(notAfter) {
		return true
	}
	return !crl.ExpiredCertsOnCRL.IsZero() && !crl.ExpiredCertsOnCRL.After(notAfter)
}

// permanent reports whether a CRL entry is a revocation that no later CRL can undo.
func permanent(e Entry) bool {
	return e.Reason != ReasonCertificateHold && e.Reason != ReasonRemoveFromCRL
}

// checkCRL tells the status of leaf at time at from the configured CRLs of issuer. Among
// the authentic CRLs (and delta CRLs applied to their base) that answer for leaf and speak
// for at, the newest one current at at decides, else the earliest issued after at; an
// authentic CRL that lists a permanent revocation at or before at makes leaf revoked
// whatever the deciding one says. With no deciding CRL the status is unknown, never good.
func (v *Validator) checkCRL(leaf, issuer *x509.Certificate, at time.Time) RevocationCheck {
	rc := RevocationCheck{Method: RevocationCRL, Status: StatusUnknown}
	var fulls, deltas, authentic []*CRL
	var sigErr error
	evidence := map[*CRL]int{} // authentic CRL -> its index in rc.Evidence
	for _, c := range *v.crls.Load() {
		if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
			continue
		}
		if len(c.AuthorityKeyID) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyID, issuer.SubjectKeyId) {
			continue // another key of a CA with the same name
		}
		if len(c.UnhandledCritical) > 0 {
			rc.Evidence = append(rc.Evidence, crlEvidence(c, SetAsideUnhandledCritical))
			continue
		}
		if err := v.crlSignatureOK(c, issuer); err != nil {
			sigErr = err
			rc.Evidence = append(rc.Evidence, crlEvidence(c, SetAsideNotAuthentic))
			continue
		}
		authentic = append(authentic, c)
		if c.IsDelta() {
			deltas = append(deltas, c)
		} else {
			fulls = append(fulls, c)
		}
	}

	// The views: every full CRL, and every delta applied to the newest base it fits.
	type view struct {
		crl *CRL
		ev  int
	}
	var views []view
	for _, c := range fulls {
		evidence[c] = len(rc.Evidence)
		views = append(views, view{c, len(rc.Evidence)})
		rc.Evidence = append(rc.Evidence, crlEvidence(c, ""))
	}
	for _, d := range deltas {
		var base, merged *CRL
		for _, b := range fulls {
			if m, err := ApplyDelta(b, d); err == nil && (base == nil || b.Number.Cmp(base.Number) > 0) {
				base, merged = b, m
			}
		}
		evidence[d] = len(rc.Evidence)
		if merged == nil {
			rc.Evidence = append(rc.Evidence, crlEvidence(d, SetAsideNoBase))
			continue
		}
		e := crlEvidence(merged, "")
		e.BaseCRLNumber = base.Number.String()
		views = append(views, view{merged, len(rc.Evidence)})
		rc.Evidence = append(rc.Evidence, e)
	}

	// The deciding view.
	var decider *view
	var deciderCovers, anySpeaks bool
	for i := range views {
		w := &views[i]
		covers, after := speaksFor(w.crl.ThisUpdate, w.crl.NextUpdate, at)
		if covers || after {
			anySpeaks = true
		}
		switch {
		case !crlAnswersFor(w.crl, leaf.NotAfter):
			rc.Evidence[w.ev].SetAside = SetAsideIssuedAfterExpiry
			continue
		case !covers && !after:
			rc.Evidence[w.ev].SetAside = SetAsideStale
			continue
		}
		rc.Evidence[w.ev].SetAside = SetAsideSuperseded
		switch {
		case decider == nil:
		case covers && !deciderCovers:
		case covers && deciderCovers && newerCRL(w.crl, decider.crl) > 0:
		case !covers && !deciderCovers && newerCRL(w.crl, decider.crl) < 0:
		default:
			continue
		}
		decider, deciderCovers = w, covers
	}

	if decider != nil {
		rc.Evidence[decider.ev].Decided, rc.Evidence[decider.ev].SetAside = true, ""
		rc.Basis = BasisIssuedAfterTime
		if deciderCovers {
			rc.Basis = BasisCoversTime
		}
		rc.setCRL(decider.crl)
		rc.Status = StatusGood
		if e, listed := decider.crl.Lookup(leaf.SerialNumber); listed {
			rc.RevokedAt, rc.Reason = e.RevocationTime, e.Reason
			if !e.RevocationTime.After(at) {
				rc.Status = StatusRevoked
			}
		}
	}

	// Revocation is permanent: an authentic statement of it before at is conclusive.
	if rc.Status != StatusRevoked {
		for _, c := range authentic {
			e, listed := c.Lookup(leaf.SerialNumber)
			if !listed || !permanent(e) || e.RevocationTime.After(at) {
				continue
			}
			if decider != nil {
				rc.Evidence[decider.ev].Decided, rc.Evidence[decider.ev].SetAside = false, SetAsideSuperseded
			}
			i := evidence[c]
			rc.Evidence[i].Decided, rc.Evidence[i].SetAside = true, ""
			rc.Basis = BasisListsRevocation
			rc.setCRL(c)
			rc.Status, rc.RevokedAt, rc.Reason = StatusRevoked, e.RevocationTime, e.Reason
			break
		}
	}

	// A permanent revocation after at that the deciding CRL does not list is still
	// reported (Status stays good): a key compromised later casts doubt on time-stamps.
	if rc.Status == StatusGood && rc.RevokedAt.IsZero() {
		for _, c := range authentic {
			if e, listed := c.Lookup(leaf.SerialNumber); listed && permanent(e) && (rc.RevokedAt.IsZero() || e.RevocationTime.Before(rc.RevokedAt)) {
				rc.RevokedAt, rc.Reason = e.RevocationTime, e.Reason
			}
		}
	}

	switch {
	case rc.Status == StatusRevoked:
		rc.Err = fmt.Errorf("%w: by CRL at %s (%s)", ErrRevoked, rc.RevokedAt.Format(time.RFC3339), rc.Reason)
	case rc.Status == StatusGood:
	case len(fulls) == 0 && sigErr != nil:
		rc.Err = sigErr
	case len(fulls) == 0:
		rc.Err = fmt.Errorf("%w: %s", ErrCRLMissing, subjectOf(issuer.RawSubject).DN)
	case !anySpeaks:
		rc.Err = fmt.Errorf("%w: no CRL of %s is current at %s or issued after it", ErrCRLStale,
			subjectOf(issuer.RawSubject).DN, at.UTC().Format(time.RFC3339))
	default:
		rc.Err = fmt.Errorf("%w: the certificate expired at %s, before every CRL of %s that speaks for %s",
			ErrCRLNotCovered, leaf.NotAfter.UTC().Format(time.RFC3339), subjectOf(issuer.RawSubject).DN, at.UTC().Format(time.RFC3339))
	}
	return rc
}

// setCRL records the times and number of the deciding CRL.
func (rc *RevocationCheck) setCRL(c *CRL) {
	rc.ThisUpdate, rc.NextUpdate, rc.CRLNumber = c.ThisUpdate, c.NextUpdate, ""
	if c.Number != nil {
		rc.CRLNumber = c.Number.String()
	}
}

// newerCRL orders CRLs by issue time, then by CRL number.
func newerCRL(a, b *CRL) int {
	if c := a.ThisUpdate.Compare(b.ThisUpdate); c != 0 {
		return c
	}
	if a.Number != nil && b.Number != nil {
		return a.Number.Cmp(b.Number)
	}
	return 0
}

// checkOCSP tells the status of leaf at time at from an OCSP answer. A revocation at or
// before at is conclusive. A good answer decides only when it speaks for at (current at
// at, or produced after it) and, when produced after leaf expired, the responder keeps an
// archive reaching back to the expiry; otherwise the status is unknown.
func (v *Validator) checkOCSP(ctx context.Context, leaf, issuer *x509.Certificate, at time.Time) RevocationCheck {
	rc := RevocationCheck{Method: RevocationOCSP, Status: StatusUnknown}
	if v.ocsp == nil {
		rc.Err = fmt.Errorf("%w: no OCSP client configured", ErrOCSPUnavailable)
		return rc
	}
	st, err := v.ocsp.Check(ctx, leaf, issuer)
	if err != nil {
		rc.Err = err
		if Code(err) == "" {
			rc.Err = fmt.Errorf("%w: %w", ErrOCSPUnavailable, err)
		}
		return rc
	}
	rc.ThisUpdate, rc.NextUpdate, rc.OCSPResponse = st.ThisUpdate, st.NextUpdate, st.Raw
	ev := Evidence{ThisUpdate: st.ThisUpdate, NextUpdate: st.NextUpdate, ProducedAt: st.ProducedAt}
	covers, after := speaksFor(st.ThisUpdate, st.NextUpdate, at)
	if st.NextUpdate.IsZero() {
		// No nextUpdate: the answer is known current only up to when it was produced.
		covers = !st.ThisUpdate.After(at) && !at.After(st.ProducedAt)
	}
	basis := BasisIssuedAfterTime
	if covers {
		basis = BasisCoversTime
	}
	switch {
	case st.NotIssued():
		ev.SetAside = SetAsideNotIssued
		rc.Err = fmt.Errorf("%w: serial %s", ErrOCSPNotIssued, leaf.SerialNumber.Text(16))
	case st.Status == StatusRevoked && !st.RevokedAt.After(at):
		rc.RevokedAt, rc.Reason = st.RevokedAt, st.Reason
		ev.Decided, rc.Basis = true, BasisListsRevocation
		rc.Status = StatusRevoked
		rc.Err = fmt.Errorf("%w: by OCSP at %s (%s)", ErrRevoked, st.RevokedAt.Format(time.RFC3339), st.Reason)
	case st.Status == StatusRevoked:
		// Revoked later than at, so not revoked at at; the answer came after the
		// revocation, hence after at.
		rc.RevokedAt, rc.Reason = st.RevokedAt, st.Reason
		ev.Decided, rc.Basis = true, basis
		rc.Status = StatusGood
	case st.Status != StatusGood:
		ev.SetAside = SetAsideUnknownCert
		rc.Err = fmt.Errorf("%w", ErrOCSPUnknownCert)
	case !covers && !after:
		ev.SetAside = SetAsideStale
		rc.Err = fmt.Errorf("%w: answer of %s is not current at %s", ErrOCSPStale,
			st.ThisUpdate.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	case st.ProducedAt.After(leaf.NotAfter) && (st.ArchiveCutoff.IsZero() || st.ArchiveCutoff.After(leaf.NotAfter)):
		ev.SetAside = SetAsideIssuedAfterExpiry
		rc.Err = fmt.Errorf("%w: produced at %s, after the certificate expired at %s", ErrOCSPNotCovered,
			st.ProducedAt.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	default:
		ev.Decided, rc.Basis = true, basis
		rc.Status = StatusGood
	}
	rc.Evidence = []Evidence{ev}
	return rc
}
