package pades

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/senimkz/senim/internal/eds/cms"
)

// SignOptions are the choices of Sign.
type SignOptions struct {
	// Reason, Location and ContactInfo go into the signature dictionary as given.
	Reason, Location, ContactInfo string
	// FieldName names the new signature field; default "SignatureN", the first N
	// not taken.
	FieldName string
	// SubFilter is SubFilterCAdES (the default, PAdES) or SubFilterPKCS7.
	SubFilter string
	// TSA, when set, adds a signature time-stamp to the CMS (PAdES-T).
	TSA cms.TimeStamper
	// Now gives /M and signingTime. Default time.Now.
	Now func() time.Time
	// Rand is the randomness for signing. Default crypto/rand.
	Rand io.Reader
}

// Sign appends an incremental update to pdf holding a new, invisible signature
// field on the first page and its signature: a detached CAdES (CMS) over the whole
// file except the signature value. The earlier bytes are kept unchanged, so earlier
// signatures stay valid. The update uses a cross-reference stream when the PDF's
// newest section is one, else a table.
func Sign(ctx context.Context, pdf []byte, spec cms.SignerSpec, opts SignOptions) ([]byte, error) {
	d, err := Open(pdf)
	if err != nil {
		return nil, err
	}
	if opts.SubFilter == "" {
		opts.SubFilter = SubFilterCAdES
	}
	if opts.SubFilter != SubFilterCAdES && opts.SubFilter != SubFilterPKCS7 {
		return nil, fmt.Errorf("%w: %q", ErrSubFilter, opts.SubFilter)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	// Room for the CMS: the certificates, the signature and attributes, a token.
	space := 8192
	if spec.Cert != nil {
		space += len(spec.Cert.Raw)
	}
	for _, c := range spec.Chain {
		space += len(c.Raw)
	}
	if opts.TSA != nil {
		space += 16384
	}
	var head bytes.Buffer
	head.WriteString("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /")
	head.WriteString(opts.SubFilter)
	head.WriteString(" /M ")
	writeObject(&head, String{B: []byte(FormatDate(now()))})
	for _, kv := range []struct{ k, v string }{{"Reason", opts.Reason}, {"Location", opts.Location}, {"ContactInfo", opts.ContactInfo}} {
		if kv.v != "" {
			head.WriteString(" /" + kv.k + " ")
			writeObject(&head, textString(kv.v))
		}
	}
	return d.appendSignature(opts.FieldName, head.Bytes(), space, false, func(signed []byte) ([]byte, error) {
		return cms.Sign(ctx, signed, []cms.SignerSpec{spec}, cms.SignOptions{Detached: true, TSA: opts.TSA, Now: now, Rand: opts.Rand,
			OmitSigningTime: opts.SubFilter == SubFilterCAdES})
	})
}

// SubFilterRFC3161 is the SubFilter of a document time-stamp.
const SubFilterRFC3161 = "ETSI.RFC3161"

// TimeStampDocument appends a document time-stamp (ISO 32000-2 §12.8.5, PAdES
// /DocTimeStamp with /SubFilter /ETSI.RFC3161): an RFC 3161 token from ts over the
// whole file except the token itself, in a new invisible field. It proves that
// every earlier revision, with its signatures, existed at the token's time (the
// PAdES-T level for signatures made without a signature time-stamp). hashAlg is
// the imprint's hash algorithm (the TSA may use its own).
func TimeStampDocument(ctx context.Context, pdf []byte, ts cms.TimeStamper, hashAlg asn1.ObjectIdentifier, fieldName string) ([]byte, error) {
	d, err := Open(pdf)
	if err != nil {
		return nil, err
	}
	head := []byte("<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /" + SubFilterRFC3161)
	return d.appendSignature(fieldName, head, 20480, true, func(signed []byte) ([]byte, error) {
		return ts.TimeStamp(ctx, hashAlg, signed)
	})
}

// appendSignature appends an incremental update with a new invisible signature field
// on the first page whose value is the dictionary head followed by /ByteRange and
// /Contents with space bytes of room; sign returns the value of /Contents for the
// signed bytes.
func (d *Document) appendSignature(fieldName string, head []byte, space int, docTimeStamp bool, sign func(signed []byte) ([]byte, error)) ([]byte, error) {
	rootRef := d.Trailer.Get("Root").(Ref)
	root, err := d.ResolveDict(rootRef)
	if err != nil || root == nil {
		return nil, fmt.Errorf("%w: no document catalog", ErrMalformed)
	}
	if p, err := d.docMDP(root); err != nil {
		return nil, err
	} else if p == 1 && !docTimeStamp {
		// ISO 32000-2 §12.8.2.2: document time-stamps (and /DSS) are not changes.
		return nil, ErrChangesForbidden
	}
	pageRef, page, err := d.firstPage(root)
	if err != nil {
		return nil, err
	}
	size, _ := d.Trailer.Get("Size").(int64)
	for n := range d.xref {
		size = max(size, int64(n)+1)
	}
	next := int(size)
	alloc := func() Ref { r := Ref{Num: next}; next++; return r }

	u := &update{}
	sigRef, fieldRef := alloc(), alloc()

	// The form: rewrite an indirect one, else make one and point the catalog at it.
	var form *Dict
	formRef, indirectForm := root.Get("AcroForm").(Ref)
	if existing, err := d.ResolveDict(root.Get("AcroForm")); err != nil {
		return nil, err
	} else if existing != nil {
		form = existing.clone()
	} else {
		form = newDict()
	}
	if !indirectForm {
		formRef = alloc()
		cat := root.clone()
		cat.Set("AcroForm", formRef)
		u.add(rootRef, cat)
	}
	fieldsObj, err := d.Resolve(form.Get("Fields"))
	if err != nil {
		return nil, err
	}
	fields, _ := fieldsObj.(Array)
	name := fieldName
	if name == "" {
		taken := map[string]bool{}
		for _, f := range fields {
			if fd, err := d.ResolveDict(f); err == nil && fd != nil {
				if t, ok := fd.Get("T").(String); ok {
					taken[string(t.B)] = true
				}
			}
		}
		for i := 1; ; i++ {
			if name = "Signature" + strconv.Itoa(i); !taken[name] {
				break
			}
		}
	}
	form.Set("Fields", append(slices.Clone(fields), fieldRef))
	form.Set("SigFlags", int64(3))
	u.add(formRef, form)

	// The page lists the widget among its annotations.
	annotsObj, err := d.Resolve(page.Get("Annots"))
	if err != nil {
		return nil, err
	}
	annots, _ := annotsObj.(Array)
	pg := page.clone()
	pg.Set("Annots", append(slices.Clone(annots), fieldRef))
	u.add(pageRef, pg)

	// The field and its widget, merged, invisible (zero rectangle, print flag).
	field := newDict()
	field.Set("Type", Name("Annot"))
	field.Set("Subtype", Name("Widget"))
	field.Set("FT", Name("Sig"))
	field.Set("T", textString(name))
	field.Set("V", sigRef)
	field.Set("F", int64(132))
	field.Set("Rect", Array{int64(0), int64(0), int64(0), int64(0)})
	field.Set("P", pageRef)
	u.add(fieldRef, field)

	var sig bytes.Buffer
	sig.Write(head)
	sig.WriteString(" /ByteRange ")
	brAt := sig.Len()
	sig.WriteString(byteRangePlaceholder)
	sig.WriteString(" /Contents <")
	contentsAt := sig.Len() - 1
	sig.Write(bytes.Repeat([]byte("0"), 2*space))
	sig.WriteString("> >>")
	u.addRaw(sigRef, sig.Bytes())

	out, sigOff, err := u.write(d, next)
	if err != nil {
		return nil, err
	}
	b := int64(sigOff + contentsAt)
	c := b + int64(2*space) + 2
	l := int64(len(out)) - c
	br := fmt.Sprintf("[0 %d %d %d]", b, c, l)
	if len(br) > len(byteRangePlaceholder) {
		return nil, fmt.Errorf("%w: the PDF is too large for the /ByteRange placeholder", ErrTooLarge)
	}
	copy(out[sigOff+brAt:], br+string(bytes.Repeat([]byte(" "), len(byteRangePlaceholder)-len(br))))

	signed := make([]byte, 0, b+l)
	signed = append(append(signed, out[:b]...), out[c:]...)
	der, err := sign(signed)
	if err != nil {
		return nil, err
	}
	if len(der) > space {
		return nil, fmt.Errorf("%w: %d bytes, %d reserved", ErrSignatureSpace, len(der), space)
	}
	hex.Encode(out[b+1:], der)
	return out, nil
}

// byteRangePlaceholder is overwritten with the real /ByteRange, padded with spaces.
const byteRangePlaceholder = "[0 0000000000 0000000000 0000000000]"

// firstPage finds the first page of the page tree.
func (d *Document) firstPage(root *Dict) (Ref, *Dict, error) {
	node := root.Get("Pages")
	for range maxDepth {
		r, ok := node.(Ref)
		if !ok {
			return Ref{}, nil, fmt.Errorf("%w: the page tree is not made of references", ErrMalformed)
		}
		n, err := d.ResolveDict(r)
		if err != nil {
			return Ref{}, nil, err
		}
		if n == nil {
			return Ref{}, nil, fmt.Errorf("%w: no page", ErrMalformed)
		}
		switch n.Get("Type") {
		case Name("Page"):
			return r, n, nil
		case Name("Pages"):
			kids, err := d.Resolve(n.Get("Kids"))
			if err != nil {
				return Ref{}, nil, err
			}
			ka, _ := kids.(Array)
			if len(ka) == 0 {
				return Ref{}, nil, fmt.Errorf("%w: no page", ErrMalformed)
			}
			node = ka[0]
		default:
			return Ref{}, nil, fmt.Errorf("%w: a page tree node of another type", ErrMalformed)
		}
	}
	return Ref{}, nil, fmt.Errorf("%w: page tree deeper than %d", ErrTooLarge, maxDepth)
}

// textString encodes s as a PDF text string: as is when it is printable ASCII,
// else UTF-16BE with a BOM.
func textString(s string) String {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return String{B: []byte(s)}
	}
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return String{B: b, Hex: true}
}

type update struct {
	objs []updObj
}

type updObj struct {
	ref Ref
	obj Object
	raw []byte
}

func (u *update) add(r Ref, o Object)    { u.objs = append(u.objs, updObj{ref: r, obj: o}) }
func (u *update) addRaw(r Ref, b []byte) { u.objs = append(u.objs, updObj{ref: r, raw: b}) }

// write appends the objects and a cross-reference section to d's bytes; it returns
// the new file and the offset of the raw object's body (the signature dictionary).
func (u *update) write(d *Document, size int) ([]byte, int, error) {
	var buf bytes.Buffer
	buf.Write(d.buf)
	if n := len(d.buf); n > 0 && d.buf[n-1] != '\n' && d.buf[n-1] != '\r' {
		buf.WriteByte('\n')
	}
	offsets := map[int]int{}
	rawAt := -1
	for _, o := range u.objs {
		offsets[o.ref.Num] = buf.Len()
		fmt.Fprintf(&buf, "%d %d obj\n", o.ref.Num, o.ref.Gen)
		if o.raw != nil {
			rawAt = buf.Len()
			buf.Write(o.raw)
		} else {
			writeObject(&buf, o.obj)
		}
		buf.WriteString("\nendobj\n")
	}
	trailer := newDict()
	for _, k := range []Name{"Root", "Info", "ID"} {
		if v := d.Trailer.Get(k); v != nil {
			trailer.Set(k, v)
		}
	}
	trailer.Set("Prev", d.StartXRef)
	nums := make([]int, 0, len(offsets)+1)
	for n := range offsets {
		nums = append(nums, n)
	}
	xrefAt := buf.Len()
	gen := func(n int) int {
		for _, o := range u.objs {
			if o.ref.Num == n {
				return o.ref.Gen
			}
		}
		return 0
	}
	if d.XRefStream {
		self := size
		size++
		nums = append(nums, self)
		offsets[self] = xrefAt
		slices.Sort(nums)
		var data []byte
		var index Array
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			index = append(index, int64(nums[i]), int64(j-i+1))
			for k := i; k <= j; k++ {
				data = append(data, 1)
				data = binary.BigEndian.AppendUint32(data, uint32(offsets[nums[k]]))
				data = binary.BigEndian.AppendUint16(data, uint16(gen(nums[k])))
			}
			i = j + 1
		}
		trailer.Set("Type", Name("XRef"))
		trailer.Set("Size", int64(size))
		trailer.Set("W", Array{int64(1), int64(4), int64(2)})
		trailer.Set("Index", index)
		trailer.Set("Length", int64(len(data)))
		fmt.Fprintf(&buf, "%d 0 obj\n", self)
		writeObject(&buf, trailer)
		buf.WriteString("\nstream\n")
		buf.Write(data)
		buf.WriteString("\nendstream\nendobj\n")
	} else {
		slices.Sort(nums)
		buf.WriteString("xref\n")
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			fmt.Fprintf(&buf, "%d %d\n", nums[i], j-i+1)
			for k := i; k <= j; k++ {
				fmt.Fprintf(&buf, "%010d %05d n\r\n", offsets[nums[k]], gen(nums[k]))
			}
			i = j + 1
		}
		trailer.Set("Size", int64(size))
		buf.WriteString("trailer\n")
		writeObject(&buf, trailer)
		buf.WriteString("\n")
	}
	fmt.Fprintf(&buf, "startxref\n%d\n%%%%EOF\n", xrefAt)
	if buf.Len() > MaxSize {
		return nil, 0, fmt.Errorf("%w: the signed PDF would exceed %d bytes", ErrTooLarge, MaxSize)
	}
	return buf.Bytes(), rawAt, nil
}

// writeObject serialises o.
func writeObject(w *bytes.Buffer, o Object) {
	switch v := o.(type) {
	case nil:
		w.WriteString("null")
	case bool:
		w.WriteString(strconv.FormatBool(v))
	case int64:
		w.WriteString(strconv.FormatInt(v, 10))
	case Real:
		w.WriteString(string(v))
	case Name:
		w.WriteByte('/')
		for _, c := range []byte(v) {
			if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
				fmt.Fprintf(w, "#%02X", c)
			} else {
				w.WriteByte(c)
			}
		}
	case String:
		if v.Hex {
			w.WriteByte('<')
			w.WriteString(hex.EncodeToString(v.B))
			w.WriteByte('>')
			return
		}
		w.WriteByte('(')
		for _, c := range v.B {
			switch {
			case c == '(' || c == ')' || c == '\\':
				w.WriteByte('\\')
				w.WriteByte(c)
			case c < 0x20 || c > 0x7e:
				fmt.Fprintf(w, "\\%03o", c)
			default:
				w.WriteByte(c)
			}
		}
		w.WriteByte(')')
	case Ref:
		fmt.Fprintf(w, "%d %d R", v.Num, v.Gen)
	case Array:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			writeObject(w, e)
		}
		w.WriteByte(']')
	case *Dict:
		w.WriteString("<<")
		for _, k := range v.Keys {
			w.WriteByte(' ')
			writeObject(w, k)
			w.WriteByte(' ')
			writeObject(w, v.M[k])
		}
		w.WriteString(" >>")
	case *Stream:
		// Streams are not rewritten by Sign (catalog, form and page are dictionaries).
		w.WriteString("null")
	}
}

// docMDP returns the permission (/P of the DocMDP transform, 1 to 3, default 2)
// of the document's certification signature (/Perms /DocMDP), 0 without one.
func (d *Document) docMDP(root *Dict) (int64, error) {
	perms, err := d.ResolveDict(root.Get("Perms"))
	if err != nil || perms == nil {
		return 0, err
	}
	sig, err := d.ResolveDict(perms.Get("DocMDP"))
	if err != nil || sig == nil {
		return 0, err
	}
	refs, err := d.Resolve(sig.Get("Reference"))
	if err != nil {
		return 0, err
	}
	arr, _ := refs.(Array)
	for _, r := range arr {
		ref, err := d.ResolveDict(r)
		if err != nil {
			return 0, err
		}
		if ref == nil || ref.Get("TransformMethod") != Name("DocMDP") {
			continue
		}
		params, err := d.ResolveDict(ref.Get("TransformParams"))
		if err != nil {
			return 0, err
		}
		if p, ok := params.Get("P").(int64); ok {
			return p, nil
		}
		return 2, nil
	}
	return 2, nil
}
