package pades

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
)

// maxDSSEntries bounds the streams read from a /DSS (certificates, CRLs and OCSP
// answers together).
const maxDSSEntries = 4096

// DSS is the content of a document security store (/DSS of the catalog, ETSI EN
// 319 142-1 section 5.4.2, ISO 32000-2 section 12.8.4.3): DER certificates, CRLs and
// OCSPResponses, each decoded from its stream.
type DSS struct {
	Certs [][]byte
	CRLs  [][]byte
	OCSPs [][]byte
	// VRI is the number of /VRI entries (per-signature lists; not needed to verify).
	VRI int
	// Ref is the /DSS dictionary's reference when it is an indirect object.
	Ref Ref
}

// DSS returns the document security store of the newest catalog, nil without one.
// A /DSS that is not a dictionary of arrays of streams is ErrDSS.
func (d *Document) DSS() (*DSS, error) {
	root, err := d.ResolveDict(d.Trailer.Get("Root"))
	if err != nil || root == nil {
		return nil, fmt.Errorf("%w: no document catalog", ErrMalformed)
	}
	raw := root.Get("DSS")
	if raw == nil {
		return nil, nil
	}
	o, err := d.Resolve(raw)
	if err != nil {
		return nil, err
	}
	dict, ok := o.(*Dict)
	if !ok {
		if o == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: /DSS is not a dictionary", ErrDSS)
	}
	out := &DSS{}
	out.Ref, _ = raw.(Ref)
	n := 0
	for _, k := range []struct {
		key Name
		dst *[][]byte
	}{{"Certs", &out.Certs}, {"CRLs", &out.CRLs}, {"OCSPs", &out.OCSPs}} {
		a, err := d.Resolve(dict.Get(k.key))
		if err != nil {
			return nil, err
		}
		if a == nil {
			continue
		}
		arr, ok := a.(Array)
		if !ok {
			return nil, fmt.Errorf("%w: /%s is not an array", ErrDSS, k.key)
		}
		for _, e := range arr {
			if n++; n > maxDSSEntries {
				return nil, fmt.Errorf("%w: more than %d entries in /DSS", ErrTooLarge, maxDSSEntries)
			}
			so, err := d.Resolve(e)
			if err != nil {
				return nil, err
			}
			s, ok := so.(*Stream)
			if !ok {
				return nil, fmt.Errorf("%w: an entry of /%s is not a stream", ErrDSS, k.key)
			}
			data, err := d.decode(s)
			if err != nil {
				return nil, err
			}
			*k.dst = append(*k.dst, data)
		}
	}
	if v, err := d.ResolveDict(dict.Get("VRI")); err == nil && v != nil {
		out.VRI = len(v.Keys)
	}
	return out, nil
}

// Evidence returns the DSS material for a verification: the certificates that
// parse (extra, untrusted, for building chains), the CRLs that parse, and the OCSP
// answers (a pki.StoredOCSP; nil without any). Unreadable entries are no evidence
// and are skipped. Nothing here is trusted by itself: each CRL and OCSP answer
// counts only when the Validator finds it signed by the issuer of the certificate it
// is asked about.
func (s *DSS) Evidence() (certs []*x509.Certificate, crls []*pki.CRL, ocsp pki.OCSPClient) {
	if s == nil {
		return nil, nil, nil
	}
	for _, der := range s.Certs {
		if c, err := x509.ParseCertificate(der); err == nil {
			certs = append(certs, c)
		}
	}
	for _, der := range s.CRLs {
		if c, err := pki.ParseCRL(der); err == nil {
			crls = append(crls, c)
		}
	}
	if len(s.OCSPs) > 0 {
		if st := pki.NewStoredOCSP(s.OCSPs); st.Len() > 0 {
			ocsp = st
		}
	}
	return certs, crls, ocsp
}

// DSSEntry is the material of one signature for AddDSS: Signature is the DER of
// its /Contents (a CMS, or a document time-stamp token) and names its /VRI entry
// (the upper-case hex SHA-1 of it, as ETSI EN 319 142-1 says); nil writes no /VRI
// entry.
type DSSEntry struct {
	Signature []byte
	Material  pki.LTMaterial
}

// AddDSS appends an incremental update holding a /DSS in the catalog with the
// material of entries: every certificate, CRL and OCSP answer once, as a stream,
// in /Certs, /CRLs and /OCSPs, and a /VRI entry per signature naming its own. A
// /DSS the document already has is kept: its streams stay where they are and only
// material it lacks is added. The earlier bytes are not changed, so every
// signature stays valid (ISO 32000-2 section 12.8.2.2: a DSS is no change to a
// certified document either).
func AddDSS(pdf []byte, entries []DSSEntry) ([]byte, error) {
	d, err := Open(pdf)
	if err != nil {
		return nil, err
	}
	rootRef := d.Trailer.Get("Root").(Ref)
	root, err := d.ResolveDict(rootRef)
	if err != nil || root == nil {
		return nil, fmt.Errorf("%w: no document catalog", ErrMalformed)
	}
	size, _ := d.Trailer.Get("Size").(int64)
	for n := range d.xref {
		size = max(size, int64(n)+1)
	}
	next := int(size)
	alloc := func() Ref { r := Ref{Num: next}; next++; return r }
	u := &update{}

	dss := newDict()
	dss.Set("Type", Name("DSS"))
	vri := newDict()
	type store struct {
		key   Name
		arr   Array
		known map[string]Ref
	}
	stores := map[Name]*store{}
	order := []Name{"Certs", "CRLs", "OCSPs"}
	for _, k := range order {
		stores[k] = &store{key: k, known: map[string]Ref{}}
	}
	// Keep the existing store.
	if old, err := d.ResolveDict(root.Get("DSS")); err != nil {
		return nil, err
	} else if old != nil {
		for _, k := range order {
			a, err := d.Resolve(old.Get(k))
			if err != nil {
				return nil, err
			}
			arr, _ := a.(Array)
			st := stores[k]
			for _, e := range arr {
				st.arr = append(st.arr, e)
				if r, ok := e.(Ref); ok {
					if so, err := d.Resolve(r); err == nil {
						if s, ok := so.(*Stream); ok {
							if data, err := d.decode(s); err == nil {
								st.known[string(data)] = r
							}
						}
					}
				}
			}
		}
		if ov, err := d.ResolveDict(old.Get("VRI")); err == nil && ov != nil {
			for _, k := range ov.Keys {
				vri.Set(k, ov.M[k])
			}
		}
	}
	put := func(k Name, der []byte) Ref {
		st := stores[k]
		if r, ok := st.known[string(der)]; ok {
			return r
		}
		r := alloc()
		var b bytes.Buffer
		fmt.Fprintf(&b, "<< /Length %d >>\nstream\n", len(der))
		b.Write(der)
		b.WriteString("\nendstream")
		u.addRaw(r, b.Bytes())
		st.known[string(der)] = r
		st.arr = append(st.arr, r)
		return r
	}
	for _, e := range entries {
		var certs, crls, ocsps Array
		for _, c := range e.Material.Certs {
			certs = append(certs, put("Certs", c.Raw))
		}
		for _, c := range e.Material.CRLs {
			crls = append(crls, put("CRLs", c))
		}
		for _, o := range e.Material.OCSPs {
			ocsps = append(ocsps, put("OCSPs", o))
		}
		if e.Signature == nil {
			continue
		}
		sum := sha1.Sum(e.Signature)
		ent := newDict()
		ent.Set("Type", Name("VRI"))
		if len(certs) > 0 {
			ent.Set("Cert", certs)
		}
		if len(crls) > 0 {
			ent.Set("CRL", crls)
		}
		if len(ocsps) > 0 {
			ent.Set("OCSP", ocsps)
		}
		vri.Set(Name(strings.ToUpper(hex.EncodeToString(sum[:]))), ent)
	}
	for _, k := range order {
		if st := stores[k]; len(st.arr) > 0 {
			dss.Set(k, st.arr)
		}
	}
	if len(vri.Keys) > 0 {
		dss.Set("VRI", vri)
	}
	// An indirect store is rewritten in place, so that the old one is not left behind
	// as an object no longer reachable (onlyDSSAfter accepts only store objects).
	dssRef, ok := root.Get("DSS").(Ref)
	if !ok {
		dssRef = alloc()
	}
	u.add(dssRef, dss)
	cat := root.clone()
	cat.Set("DSS", dssRef)
	u.add(rootRef, cat)
	out, _, err := u.write(d, next)
	return out, err
}

// LTOptions are the choices of ExtendLT.
type LTOptions struct {
	// Verify validates the signatures before their material is collected: its
	// Validator and Revocation decide which chains and evidence are embedded.
	Verify cms.VerifyOptions
	// CRLs are the CRLs the Validator decides with; those of the CAs of a chain are
	// embedded.
	CRLs []*pki.CRL
	// TSA gives the document time-stamps: one before the /DSS for signatures with
	// no time-stamp of any kind (LT needs T), and the archive one of LTA.
	TSA cms.TimeStamper
	// HashAlg is the document time-stamps' imprint hash.
	HashAlg asn1.ObjectIdentifier
	// Archive: LTA, a document time-stamp over the /DSS, then a /DSS with the
	// material of that time-stamp.
	Archive bool
}

// ExtendLT raises a signed PDF to PAdES baseline LT (ETSI EN 319 142-1 section
// 6.3: a /DSS with the chains and the revocation data that decided, after a
// signature or document time-stamp) or, with opts.Archive, LTA (a document
// time-stamp over it). Every signature and document time-stamp must be valid now
// and no change may follow the last one (ErrNotExtendable): evidence is not given
// to what would not verify. A signature without any time-stamp first gets a
// document time-stamp. The material is collected by pki.CollectLT, as CAdES-LT.
func ExtendLT(ctx context.Context, pdf []byte, opts LTOptions) ([]byte, *Result, error) {
	res, err := Verify(ctx, pdf, opts.Verify)
	if err != nil {
		return nil, nil, err
	}
	if err := extendable(res); err != nil {
		return nil, res, err
	}
	if needsTimeStamp(res) {
		if opts.TSA == nil {
			return nil, res, fmt.Errorf("%w: a signature has no time-stamp and no TSA is configured", ErrNotExtendable)
		}
		if pdf, err = TimeStampDocument(ctx, pdf, opts.TSA, opts.HashAlg, ""); err != nil {
			return nil, nil, err
		}
	}
	if pdf, res, err = addMaterial(ctx, pdf, opts); err != nil {
		return nil, res, err
	}
	if !opts.Archive {
		return pdf, res, nil
	}
	if opts.TSA == nil {
		return nil, res, fmt.Errorf("%w: LTA needs a TSA", ErrNotExtendable)
	}
	if pdf, err = TimeStampDocument(ctx, pdf, opts.TSA, opts.HashAlg, ""); err != nil {
		return nil, nil, err
	}
	return addMaterial(ctx, pdf, opts)
}

// addMaterial verifies pdf and appends a /DSS with the material of every signature
// and document time-stamp.
func addMaterial(ctx context.Context, pdf []byte, opts LTOptions) ([]byte, *Result, error) {
	res, err := Verify(ctx, pdf, opts.Verify)
	if err != nil {
		return nil, nil, err
	}
	if err := extendable(res); err != nil {
		return nil, res, err
	}
	d, err := Open(pdf)
	if err != nil {
		return nil, nil, err
	}
	sigs, err := d.Signatures()
	if err != nil {
		return nil, nil, err
	}
	var entries []DSSEntry
	for i, s := range res.Signatures {
		var results []*pki.Result
		if s.DocTimeStamp != nil {
			results = append(results, s.DocTimeStamp.Chain)
		}
		if s.CMS != nil {
			for _, sg := range s.CMS.Signers {
				results = append(results, sg.Chain)
				if sg.TimeStamp != nil {
					results = append(results, sg.TimeStamp.Chain)
				}
			}
		}
		var der []byte
		if ct, ok := sigs[i].Dict.Get("Contents").(String); ok {
			der, _ = trimCMS(ct.B)
		}
		entries = append(entries, DSSEntry{Signature: der, Material: pki.CollectLT(results, opts.CRLs)})
	}
	out, err := AddDSS(pdf, entries)
	if err != nil {
		return nil, nil, err
	}
	return out, res, nil
}

// extendable refuses a document that does not verify now.
func extendable(res *Result) error {
	for _, s := range res.Signatures {
		if !s.Valid {
			code := "invalid"
			if len(s.Errors) > 0 {
				code = s.Errors[0].Error()
			}
			return fmt.Errorf("%w: %s: %s", ErrNotExtendable, s.Field, code)
		}
	}
	if res.UnsignedChanges {
		return fmt.Errorf("%w: the document was changed after its last signature", ErrNotExtendable)
	}
	return nil
}

// needsTimeStamp: a signature has neither a signature time-stamp nor a valid
// document time-stamp after it.
func needsTimeStamp(res *Result) bool {
	for _, s := range res.Signatures {
		if s.CMS == nil || hasSignatureTimeStamp(s.CMS) {
			continue
		}
		covered := false
		for _, ts := range res.Signatures {
			if ts.DocTimeStamp != nil && ts.Valid && ts.SignedLength > s.SignedLength {
				covered = true
			}
		}
		if !covered {
			return true
		}
	}
	return false
}

// levels sets the PAdES level of every signature of res.
func (d *Document) levels(res *Result) {
	// The document time-stamps that are valid and cover a /DSS.
	var archive []int64
	for _, ts := range res.Signatures {
		if ts.DocTimeStamp == nil || !ts.Valid {
			continue
		}
		if old, err := Open(d.buf[:ts.SignedLength]); err == nil {
			if ds, err := old.DSS(); err == nil && ds != nil {
				archive = append(archive, ts.SignedLength)
			}
		}
	}
	for i := range res.Signatures {
		s := &res.Signatures[i]
		if s.DocTimeStamp != nil || s.CMS == nil {
			continue
		}
		s.Level = LevelB
		if !s.docTimeStamped && !hasSignatureTimeStamp(s.CMS) {
			continue
		}
		s.Level = LevelT
		if !res.DSS.holds(s.CMS) {
			continue
		}
		s.Level = LevelLT
		for _, at := range archive {
			if at > s.SignedLength {
				s.Level = LevelLTA
			}
		}
	}
}

// holds: the store has, for every signer of r, the CA certificates of its chain and,
// for each revocation method that decided, revocation data of the issuer (a CRL it
// issued, or the very OCSP answer).
func (s *DSS) holds(r *cms.Result) bool {
	if s == nil {
		return false
	}
	for _, sg := range r.Signers {
		if sg.Chain == nil || len(sg.Chain.Chain) == 0 {
			return false
		}
		chain := sg.Chain.Chain
		for _, c := range chain[1:] {
			if !containsDER(s.Certs, c.Raw) {
				return false
			}
		}
		// When revocation was checked, the evidence of a method that decided is here.
		crl, ocsp := sg.Chain.CRL, sg.Chain.OCSP
		if checked(crl) || checked(ocsp) {
			ok := ocsp.Basis != "" && containsDER(s.OCSPs, ocsp.OCSPResponse)
			if crl.Basis != "" && len(chain) > 1 {
				for _, der := range s.CRLs {
					if c, err := pki.ParseCRL(der); err == nil && bytes.Equal(c.RawIssuer, chain[1].RawSubject) {
						ok = true
						break
					}
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func checked(rc pki.RevocationCheck) bool {
	return rc.Status != "" && rc.Status != pki.StatusNotChecked
}

func containsDER(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

// onlyDSSAfter reports whether the revisions after the first n bytes only add or
// replace a document security store: the catalog changed in its /DSS entry alone,
// and every other object written after n is a cross-reference stream or reachable
// from the new /DSS (and, when it existed before, was reachable from the old one).
// Such updates are not changes to the signed document (ISO 32000-2 section
// 12.8.2.2), so PAdES-LT files verify as wholly signed.
func (d *Document) onlyDSSAfter(n int64) bool {
	old, err := Open(d.buf[:n])
	if err != nil {
		return false
	}
	rootRef, ok1 := d.Trailer.Get("Root").(Ref)
	oldRoot, ok2 := old.Trailer.Get("Root").(Ref)
	if !ok1 || !ok2 || rootRef != oldRoot {
		return false
	}
	newCat, err1 := d.ResolveDict(rootRef)
	oldCat, err2 := old.ResolveDict(rootRef)
	if err1 != nil || err2 != nil || newCat == nil || oldCat == nil || newCat.Get("DSS") == nil {
		return false
	}
	if !sameExcept(newCat, oldCat, "DSS") {
		return false
	}
	reachNew, ok := d.reachable(newCat.Get("DSS"))
	if !ok {
		return false
	}
	reachOld := map[int]bool{}
	if oldCat.Get("DSS") != nil {
		if reachOld, ok = old.reachable(oldCat.Get("DSS")); !ok {
			return false
		}
	}
	for num, e := range d.xref {
		oe, had := old.xref[num]
		if had && oe == e {
			continue
		}
		switch {
		case num == rootRef.Num:
		case e.kind == 0 && !had:
		case reachNew[num] && (!had || reachOld[num]):
		default:
			o, err := d.object(Ref{Num: num, Gen: e.gen}, 0)
			if s, ok := o.(*Stream); err != nil || !ok || s.Dict.Get("Type") != Name("XRef") || had {
				return false
			}
		}
	}
	return true
}

// sameExcept: a and b are equal but for key.
func sameExcept(a, b *Dict, key Name) bool {
	strip := func(x *Dict) []byte {
		c := newDict()
		for _, k := range x.Keys {
			if k != key {
				c.Set(k, x.M[k])
			}
		}
		var buf bytes.Buffer
		writeObject(&buf, c)
		return buf.Bytes()
	}
	return bytes.Equal(strip(a), strip(b))
}

// reachable returns the object numbers reachable from o through dictionaries,
// arrays and stream dictionaries (bounded; false when a bound is hit or an object
// does not parse).
func (d *Document) reachable(o Object) (map[int]bool, bool) {
	seen := map[int]bool{}
	budget := 4 * maxDSSEntries
	var walk func(o Object, depth int) bool
	walk = func(o Object, depth int) bool {
		if depth > maxDepth {
			return false
		}
		if budget--; budget < 0 {
			return false
		}
		switch v := o.(type) {
		case Ref:
			if seen[v.Num] {
				return true
			}
			seen[v.Num] = true
			x, err := d.object(v, 0)
			if err != nil {
				return false
			}
			return walk(x, depth+1)
		case Array:
			for _, e := range v {
				if !walk(e, depth+1) {
					return false
				}
			}
		case *Dict:
			for _, k := range v.Keys {
				if !walk(v.M[k], depth+1) {
					return false
				}
			}
		case *Stream:
			return walk(v.Dict, depth+1)
		}
		return true
	}
	return seen, walk(o, 0)
}
