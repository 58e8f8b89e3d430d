package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// SubFilters of the signatures verified.
const (
	SubFilterPKCS7 = "adbe.pkcs7.detached"
	SubFilterCAdES = "ETSI.CAdES.detached"
)

// maxFields bounds the form fields visited.
const maxFields = 4096

// SigRef is a signature dictionary found through the form: its field's full name,
// the dictionary and where it is.
type SigRef struct {
	Field string
	Dict  *Dict
	// Ref is the signature dictionary's reference; zero when the dictionary is
	// direct in its field (then Holder is the field's).
	Ref    Ref
	Holder Ref // the indirect object that holds the dictionary
}

// Signatures finds every signature field with a value (/FT /Sig, /V) of the form
// (/Root /AcroForm /Fields, with /Kids), in form order, each dictionary once.
func (d *Document) Signatures() ([]SigRef, error) {
	root, err := d.ResolveDict(d.Trailer.Get("Root"))
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no document catalog", ErrMalformed)
	}
	form, err := d.ResolveDict(root.Get("AcroForm"))
	if err != nil || form == nil {
		return nil, err
	}
	fields, err := d.Resolve(form.Get("Fields"))
	if err != nil {
		return nil, err
	}
	arr, _ := fields.(Array)
	var out []SigRef
	seenField := map[Ref]bool{}
	seenSig := map[Ref]bool{}
	visited := 0
	var walk func(o Object, parentName string, inheritedFT Object, depth int) error
	walk = func(o Object, parentName string, inheritedFT Object, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("%w: form fields nested deeper than %d", ErrTooLarge, maxDepth)
		}
		if visited++; visited > maxFields {
			return fmt.Errorf("%w: more than %d form fields", ErrTooLarge, maxFields)
		}
		holder, isRef := o.(Ref)
		if isRef {
			if seenField[holder] {
				return nil // a loop or a field listed twice
			}
			seenField[holder] = true
		}
		f, err := d.ResolveDict(o)
		if err != nil || f == nil {
			return err
		}
		name := parentName
		if t, ok := f.Get("T").(String); ok {
			if name != "" {
				name += "."
			}
			name += string(t.B)
		}
		ft := f.Get("FT")
		if ft == nil {
			ft = inheritedFT
		}
		if ft == Name("Sig") && f.Get("V") != nil {
			v := f.Get("V")
			sr := SigRef{Field: name, Holder: holder}
			if r, ok := v.(Ref); ok {
				sr.Ref, sr.Holder = r, r
				if seenSig[r] {
					goto kids
				}
				seenSig[r] = true
			}
			if sr.Dict, err = d.ResolveDict(v); err != nil {
				return err
			}
			if sr.Dict != nil {
				out = append(out, sr)
			}
		}
	kids:
		if k, err := d.Resolve(f.Get("Kids")); err == nil {
			if ka, ok := k.(Array); ok {
				for _, kid := range ka {
					if err := walk(kid, name, ft, depth+1); err != nil {
						return err
					}
				}
			}
		} else {
			return err
		}
		return nil
	}
	for _, f := range arr {
		if err := walk(f, "", nil, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Signature is one signature of a PDF and every check of it.
type Signature struct {
	Field       string
	SubFilter   string
	Reason      string
	Location    string
	ContactInfo string
	Name        string
	// SignDate is /M: claimed by the signer, proves nothing (zero when absent).
	SignDate  time.Time
	ByteRange [4]int64
	// CoversWholeDocument: the signed revision is the whole file (trailing white
	// space aside). When false, ErrModifiedAfterSigning is in Errors.
	CoversWholeDocument bool
	// SignedLength is where the signed revision ends (ByteRange c+d).
	SignedLength int64
	// CMS is the verification of /Contents over the signed bytes; nil when the
	// structure failed before it.
	CMS *cms.Result
	// DigestAlgorithm is the first signer's digest algorithm OID.
	DigestAlgorithm string
	// DocTimeStamp is set for a document time-stamp (SubFilterRFC3161) instead of
	// CMS: the token over the signed bytes.
	DocTimeStamp *cms.TimeStampInfo
	// Valid: the structure is sound and the CMS is valid (signature, digest, chain,
	// revocation as the options ask). A later revision does not make it invalid;
	// Result.Valid accounts for unsigned changes.
	Valid bool
	// Errors: structural failures (ErrByteRange, ErrContents, ErrSubFilter),
	// ErrModifiedAfterSigning, and the CMS signers' failures.
	Errors []error
	// Level is the PAdES baseline level the signature reaches (LevelB to LevelLTA);
	// "" for a document time-stamp.
	Level string

	docTimeStamped bool // validated at a later document time-stamp's genTime
}

// PAdES baseline levels (ETSI EN 319 142-1 section 6).
const (
	LevelB   = "B"   // a signature
	LevelT   = "T"   // and a valid signature time-stamp, or a valid document time-stamp after it
	LevelLT  = "LT"  // and a /DSS with its chain and the revocation data of its checks
	LevelLTA = "LTA" // and a valid document time-stamp over that /DSS
)

// Result is the outcome of Verify.
type Result struct {
	Signatures []Signature
	// UnsignedChanges: the file goes on after the last signed revision (trailing
	// white space aside): changes no signature covers.
	UnsignedChanges bool
	// Valid: every signature is valid and no change follows the last signature.
	Valid bool
	// Errors holds ErrUnsignedChanges when UnsignedChanges.
	Errors []error
	// DSS is the document security store used as evidence; nil without one.
	DSS *DSS
}

// Verify finds and checks every signature of pdf. The error is non-nil only when
// there is nothing to verify: a PDF that does not parse (ErrMalformed,
// ErrTooLarge, ErrUnsupported), has no signature (ErrNoSignatures) or more
// signatures than opts.MaxSigners (default 100), which also bounds the signers of
// each CMS (ErrTooLarge).
func Verify(ctx context.Context, pdf []byte, opts cms.VerifyOptions) (*Result, error) {
	d, err := Open(pdf)
	if err != nil {
		return nil, err
	}
	sigs, err := d.Signatures()
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, ErrNoSignatures
	}
	// Each signature costs a CMS verification: bound them as cms bounds signers.
	maxSigs := opts.MaxSigners
	if maxSigs <= 0 {
		maxSigs = 100
	}
	if len(sigs) > maxSigs {
		return nil, fmt.Errorf("%w: %d signatures, at most %d", ErrTooLarge, len(sigs), maxSigs)
	}
	// The /DSS (PAdES-LT) is evidence for every signature: its certificates help build
	// chains, its CRLs and OCSP answers are judged by the Validator at each
	// signature's time like any other (signed by the issuer found, speaking for the
	// time), so material of another chain or about another certificate decides
	// nothing.
	dss, err := d.DSS()
	if err != nil {
		return nil, err
	}
	if dss != nil {
		certs, crls, ocsp := dss.Evidence()
		opts.Certificates = append(append([]*x509.Certificate(nil), opts.Certificates...), certs...)
		if opts.Validator != nil {
			opts.Validator = opts.Validator.WithEvidence(crls, ocsp)
		}
		if opts.TSAValidator != nil {
			opts.TSAValidator = opts.TSAValidator.WithEvidence(crls, ocsp)
		}
	}
	res := &Result{Valid: true, DSS: dss}
	var lastSigned int64
	for _, sr := range sigs {
		res.Signatures = append(res.Signatures, d.verifyOne(ctx, sr, opts))
	}
	// A valid document time-stamp proves that the revisions it covers existed at its
	// genTime: a signature without a signature time-stamp is validated then (the
	// PAdES-T level reached by a later document time-stamp).
	for i, sr := range sigs {
		s := &res.Signatures[i]
		if s.CMS == nil || s.DocTimeStamp != nil || hasSignatureTimeStamp(s.CMS) {
			continue
		}
		var at time.Time
		for _, ts := range res.Signatures {
			if dt := ts.DocTimeStamp; dt != nil && ts.Valid && ts.SignedLength > s.SignedLength && (at.IsZero() || dt.GenTime.Before(at)) {
				at = dt.GenTime
			}
		}
		if !at.IsZero() {
			o := opts
			o.Now = func() time.Time { return at }
			*s = d.verifyOne(ctx, sr, o)
			s.docTimeStamped = true
		}
	}
	for _, s := range res.Signatures {
		lastSigned = max(lastSigned, s.SignedLength)
		res.Valid = res.Valid && s.Valid
	}
	d.levels(res)
	if end := contentEnd(pdf); lastSigned < end && !d.onlyDSSAfter(lastSigned) {
		res.UnsignedChanges = true
		res.Valid = false
		res.Errors = append(res.Errors, fmt.Errorf("%w: %d bytes after the last signed revision", ErrUnsignedChanges, end-lastSigned))
	}
	return res, nil
}

// contentEnd is the length of pdf without trailing white space.
func contentEnd(pdf []byte) int64 {
	n := len(pdf)
	for n > 0 && isWhite(pdf[n-1]) {
		n--
	}
	return int64(n)
}

func text(o Object) string {
	if s, ok := o.(String); ok {
		return decodeText(s.B)
	}
	return ""
}

// decodeText decodes a PDF text string: UTF-16BE with a BOM, UTF-8 with a BOM, else
// PDFDocEncoding (read as Latin-1, which agrees on the printable range).
func decodeText(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		var r []rune
		for i := 2; i+1 < len(b); i += 2 {
			u := rune(b[i])<<8 | rune(b[i+1])
			if u >= 0xD800 && u < 0xDC00 && i+3 < len(b) {
				l := rune(b[i+2])<<8 | rune(b[i+3])
				if l >= 0xDC00 && l < 0xE000 {
					u = (u-0xD800)<<10 + (l - 0xDC00) + 0x10000
					i += 2
				}
			}
			r = append(r, u)
		}
		return string(r)
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func (d *Document) verifyOne(ctx context.Context, sr SigRef, opts cms.VerifyOptions) Signature {
	sd := sr.Dict
	s := Signature{Field: sr.Field, Reason: text(sd.Get("Reason")), Location: text(sd.Get("Location")),
		ContactInfo: text(sd.Get("ContactInfo")), Name: text(sd.Get("Name"))}
	if sf, ok := sd.Get("SubFilter").(Name); ok {
		s.SubFilter = string(sf)
	}
	if m, ok := sd.Get("M").(String); ok {
		s.SignDate, _ = ParseDate(string(m.B))
	}
	fail := func(err error) Signature {
		s.Errors = append(s.Errors, err)
		return s
	}
	if s.SubFilter != SubFilterPKCS7 && s.SubFilter != SubFilterCAdES && s.SubFilter != SubFilterRFC3161 {
		return fail(fmt.Errorf("%w: %q", ErrSubFilter, s.SubFilter))
	}
	signed, contents, err := d.checkByteRange(sr, &s)
	if err != nil {
		return fail(err)
	}
	der, err := trimCMS(contents)
	if err != nil {
		return fail(err)
	}
	if s.SubFilter == SubFilterRFC3161 {
		s.DocTimeStamp = verifyDocTimeStamp(ctx, der, signed, opts)
		if !s.DocTimeStamp.Valid {
			return fail(s.DocTimeStamp.Err)
		}
		s.Valid = true
		if !s.CoversWholeDocument {
			s.Errors = append(s.Errors, fmt.Errorf("%w: it covers the first %d of %d bytes", ErrModifiedAfterSigning, s.SignedLength, len(d.buf)))
		}
		return s
	}
	if p, err := cms.Parse(der); err == nil && len(p.Signers) > 0 {
		s.DigestAlgorithm = p.Signers[0].DigestAlgorithm.String()
	}
	r, err := cms.Verify(ctx, der, signed, opts)
	if err != nil {
		return fail(err)
	}
	if !r.Detached {
		return fail(fmt.Errorf("%w: the CMS carries content; a PDF signature is detached", ErrContents))
	}
	s.CMS = r
	for i := range r.Signers {
		s.Errors = append(s.Errors, r.Signers[i].Errors...)
	}
	s.Valid = r.Valid
	if !s.CoversWholeDocument {
		s.Errors = append(s.Errors, fmt.Errorf("%w: it covers the first %d of %d bytes", ErrModifiedAfterSigning, s.SignedLength, len(d.buf)))
	}
	return s
}

// checkByteRange checks /ByteRange against the file and the /Contents token of the
// same dictionary and returns the signed bytes and the raw contents.
//
// Refused: a range that is not four non-negative integers [0 b c d]; a hole [b, c)
// that is not exactly the /Contents hex string of this dictionary as it lies in the
// file (a dictionary in an object stream has no place in the file); ranges outside
// the file; a dictionary outside the signed bytes; a signed revision that does not
// end with %%EOF. Together these leave only the classic form: the whole of one
// revision is signed, except the signature value itself.
func (d *Document) checkByteRange(sr SigRef, s *Signature) (signed, contents []byte, err error) {
	br, ok := sr.Dict.Get("ByteRange").(Array)
	if !ok || len(br) != 4 {
		return nil, nil, fmt.Errorf("%w: /ByteRange is not an array of four integers", ErrByteRange)
	}
	size := int64(len(d.buf))
	for i, x := range br {
		n, ok := x.(int64)
		if !ok || n < 0 || n > size {
			return nil, nil, fmt.Errorf("%w: /ByteRange element %d is not an integer inside the file", ErrByteRange, i)
		}
		s.ByteRange[i] = n
	}
	a, b, c, l := s.ByteRange[0], s.ByteRange[1], s.ByteRange[2], s.ByteRange[3]
	switch {
	case a != 0:
		return nil, nil, fmt.Errorf("%w: the first range does not start at 0", ErrByteRange)
	case b <= 0 || c <= b:
		return nil, nil, fmt.Errorf("%w: the ranges overlap or leave no hole", ErrByteRange)
	case c+l > size:
		return nil, nil, fmt.Errorf("%w: the second range ends after the file", ErrByteRange)
	}
	ct, ok := sr.Dict.Get("Contents").(String)
	if !ok || !ct.Hex {
		return nil, nil, fmt.Errorf("%w: /Contents is not a hex string", ErrContents)
	}
	if ct.Start < 0 {
		return nil, nil, fmt.Errorf("%w: the signature dictionary is in an object stream, so its /Contents has no place in the file", ErrByteRange)
	}
	if int64(ct.Start) != b || int64(ct.End) != c {
		return nil, nil, fmt.Errorf("%w: the hole [%d, %d) is not the /Contents string [%d, %d)", ErrByteRange, b, c, ct.Start, ct.End)
	}
	if off, ok := d.Offset(sr.Holder); !ok || off >= c+l {
		return nil, nil, fmt.Errorf("%w: the signature dictionary is not inside the signed bytes", ErrByteRange)
	}
	rev := bytes.TrimRight(d.buf[:c+l], "\x00\t\n\f\r ")
	if !bytes.HasSuffix(rev, []byte("%%EOF")) {
		return nil, nil, fmt.Errorf("%w: the signed bytes do not end a revision (%%%%EOF)", ErrByteRange)
	}
	s.SignedLength = c + l
	s.CoversWholeDocument = c+l >= contentEnd(d.buf)
	signed = make([]byte, 0, b+l)
	signed = append(append(signed, d.buf[:b]...), d.buf[c:c+l]...)
	return signed, ct.B, nil
}

// trimCMS returns the CMS at the start of contents and checks that only zero
// padding follows it.
func trimCMS(contents []byte) ([]byte, error) {
	n, err := berLength(contents, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrContents, err)
	}
	for _, c := range contents[n:] {
		if c != 0 {
			return nil, fmt.Errorf("%w: data after the CMS", ErrContents)
		}
	}
	return contents[:n], nil
}

// berLength is the length of the BER element at the start of b (definite or
// indefinite length).
func berLength(b []byte, depth int) (int, error) {
	if depth > 64 {
		return 0, fmt.Errorf("BER nested too deep")
	}
	if len(b) < 2 {
		return 0, fmt.Errorf("truncated BER")
	}
	i := 1
	if b[0]&0x1f == 0x1f {
		for {
			if i >= len(b) || i > 5 {
				return 0, fmt.Errorf("bad BER tag")
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, fmt.Errorf("truncated BER")
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		if int(l) > len(b)-i {
			return 0, fmt.Errorf("truncated BER")
		}
		return i + int(l), nil
	case l == 0x80:
		if b[0]&0x20 == 0 {
			return 0, fmt.Errorf("indefinite length on a primitive")
		}
		for {
			if i+2 <= len(b) && b[i] == 0 && b[i+1] == 0 {
				return i + 2, nil
			}
			n, err := berLength(b[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	default:
		k := int(l & 0x7f)
		if k > 4 || k > len(b)-i {
			return 0, fmt.Errorf("bad BER length")
		}
		n := 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
		if n < 0 || n > len(b)-i {
			return 0, fmt.Errorf("truncated BER")
		}
		return i + n, nil
	}
}

// ParseDate reads a PDF date, D:YYYYMMDDHHmmSSOHH'mm' (every part after the year
// optional; no offset means UTC here).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	num := func(i, n, def int) (int, bool) {
		if len(s) < i+n {
			return def, len(s) <= i
		}
		v, err := strconv.Atoi(s[i : i+n])
		return v, err == nil
	}
	y, ok := num(0, 4, 0)
	if !ok || len(s) < 4 {
		return time.Time{}, fmt.Errorf("pdf: bad date")
	}
	mo, ok1 := num(4, 2, 1)
	dd, ok2 := num(6, 2, 1)
	hh, ok3 := num(8, 2, 0)
	mi, ok4 := num(10, 2, 0)
	ss, ok5 := num(12, 2, 0)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return time.Time{}, fmt.Errorf("pdf: bad date")
	}
	loc := time.UTC
	if len(s) > 14 {
		switch s[14] {
		case '+', '-':
			rest := strings.ReplaceAll(s[15:], "'", "")
			oh, om := 0, 0
			if len(rest) >= 2 {
				oh, _ = strconv.Atoi(rest[:2])
			}
			if len(rest) >= 4 {
				om, _ = strconv.Atoi(rest[2:4])
			}
			off := oh*3600 + om*60
			if s[14] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	return time.Date(y, time.Month(mo), dd, hh, mi, ss, 0, loc), nil
}

// FormatDate writes t as a PDF date in UTC.
func FormatDate(t time.Time) string {
	return "D:" + t.UTC().Format("20060102150405") + "Z"
}

func hasSignatureTimeStamp(r *cms.Result) bool {
	for _, sg := range r.Signers {
		if sg.TimeStamp != nil {
			return true
		}
	}
	return false
}

// verifyDocTimeStamp checks a document time-stamp token over the signed bytes, its
// TSA certificate with the TSA validator (else the signers' one) at genTime.
func verifyDocTimeStamp(ctx context.Context, token, signed []byte, opts cms.VerifyOptions) *cms.TimeStampInfo {
	v := opts.TSAValidator
	if v == nil {
		v = opts.Validator
	}
	rev := opts.TSARevocation
	if rev == nil {
		rev = opts.Revocation
	}
	ver, err := tsp.VerifyToken(ctx, token, tsp.VerifyOptions{Data: signed, Validator: v, Revocation: rev, Certificates: opts.Certificates})
	ti := &cms.TimeStampInfo{Err: err, Valid: err == nil}
	if err == nil && v == nil {
		// As for signers: without a validator nothing is trusted.
		ti.Valid, ti.Err = false, fmt.Errorf("%w: no trust anchors", pki.ErrUntrusted)
	}
	if ver == nil {
		return ti
	}
	in := ver.Token.Info
	ti.GenTime = in.GenTime
	ti.Policy = in.Policy.String()
	ti.SerialNumber = in.SerialNumber.Text(16)
	ti.HashAlgorithm = in.HashAlgorithm.String()
	for _, a := range eds.SignatureAlgorithms() {
		if a.HashOID != nil && a.HashOID.Equal(in.HashAlgorithm) && a.HashName != "" {
			ti.HashAlgorithm = a.HashName
			break
		}
	}
	ti.Hash = in.HashedMessage
	ti.Cert = ver.Cert
	ti.Chain = ver.Chain
	ti.TSA = in.TSAString()
	if ti.TSA == "" && ver.Cert != nil {
		ti.TSA = pki.Info(ver.Cert).Subject.DN
	}
	return ti
}
