package pades

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Limits of the reader.
const (
	// MaxSize bounds the PDF read (NCANode's clients send it Base64 in a JSON body).
	MaxSize = 64 << 20
	// maxXrefSections bounds the /Prev chain (one section per revision).
	maxXrefSections = 1024
	// maxObjects bounds the object numbers of the cross-reference table.
	maxObjects = 1 << 20
	// maxDecoded bounds the bytes decompressed from all streams together.
	maxDecoded = 64 << 20
	// maxResolve bounds the chain of references followed to resolve one object.
	maxResolve = 32
)

type xrefEntry struct {
	kind   byte  // 1: in the file at off; 2: in object stream off, index gen
	off    int64 // offset, or the object stream's number
	gen    int   // generation, or the index in the object stream
	filled bool
}

// Document is a parsed PDF: its cross-reference table (all revisions, newest
// entry winning) and trailer.
type Document struct {
	buf     []byte
	xref    map[int]xrefEntry
	Trailer *Dict
	// XRefStream: the newest cross-reference section is a stream (PDF 1.5).
	XRefStream bool
	// StartXRef is the offset of the newest cross-reference section.
	StartXRef int64
	objstm    map[int]*objStream
	cache     map[Ref]Object
	decoded   int64
	tokens    int // objects parsed, all parses together (maxTokens)
}

type objStream struct {
	data    []byte
	offsets map[int]int // object number -> offset in data
	order   []int
}

// Open parses the cross-reference sections and trailer of pdf. It does not parse
// the objects; Resolve does, on demand. An encrypted PDF gives ErrUnsupported.
func Open(pdf []byte) (*Document, error) {
	if len(pdf) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(pdf), MaxSize)
	}
	hdr := bytes.Index(pdf[:min(len(pdf), 1024)], []byte("%PDF-"))
	if hdr < 0 {
		return nil, fmt.Errorf("%w: no %%PDF- header", ErrMalformed)
	}
	d := &Document{buf: pdf, xref: map[int]xrefEntry{}, objstm: map[int]*objStream{}, cache: map[Ref]Object{}}
	start, err := startXRef(pdf)
	if err != nil {
		return nil, err
	}
	d.StartXRef = start
	seen := map[int64]bool{}
	off := start
	for i := 0; ; i++ {
		if i >= maxXrefSections {
			return nil, fmt.Errorf("%w: more than %d cross-reference sections", ErrTooLarge, maxXrefSections)
		}
		if seen[off] {
			return nil, fmt.Errorf("%w: the /Prev chain loops", ErrMalformed)
		}
		seen[off] = true
		trailer, isStream, err := d.readSection(off)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			d.Trailer, d.XRefStream = trailer, isStream
		}
		// A hybrid file's table points to a cross-reference stream too.
		if x, ok := trailer.Get("XRefStm").(int64); ok && !isStream {
			if seen[x] {
				return nil, fmt.Errorf("%w: /XRefStm loops", ErrMalformed)
			}
			seen[x] = true
			if _, _, err := d.readSection(x); err != nil {
				return nil, err
			}
		}
		prev, ok := trailer.Get("Prev").(int64)
		if !ok {
			if trailer.Get("Prev") != nil {
				return nil, fmt.Errorf("%w: /Prev is not an integer", ErrMalformed)
			}
			break
		}
		off = prev
	}
	if d.Trailer.Get("Encrypt") != nil {
		return nil, fmt.Errorf("%w: encrypted PDF", ErrUnsupported)
	}
	if _, ok := d.Trailer.Get("Root").(Ref); !ok {
		return nil, fmt.Errorf("%w: the trailer has no /Root reference", ErrMalformed)
	}
	return d, nil
}

// Bytes returns the PDF.
func (d *Document) Bytes() []byte { return d.buf }

// startXRef finds the offset after the last "startxref".
func startXRef(pdf []byte) (int64, error) {
	tail := pdf[max(0, len(pdf)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, fmt.Errorf("%w: no startxref", ErrMalformed)
	}
	p := &parser{buf: tail, pos: i + len("startxref")}
	n, err := p.uint()
	if err != nil {
		return 0, err
	}
	if n >= len(pdf) {
		return 0, fmt.Errorf("%w: startxref outside the file", ErrMalformed)
	}
	return int64(n), nil
}

func (d *Document) set(num int, e xrefEntry) error {
	if num < 0 || num >= maxObjects {
		return fmt.Errorf("%w: object number %d", ErrTooLarge, num)
	}
	if _, ok := d.xref[num]; !ok { // the newest section wins
		d.xref[num] = e
	}
	return nil
}

// readSection reads a cross-reference table with its trailer, or a cross-reference
// stream, at off.
func (d *Document) readSection(off int64) (*Dict, bool, error) {
	if off < 0 || off >= int64(len(d.buf)) {
		return nil, false, fmt.Errorf("%w: cross-reference offset outside the file", ErrMalformed)
	}
	p := &parser{buf: d.buf, pos: int(off), inFile: true, tokens: &d.tokens}
	save := p.pos
	if string(p.keyword()) != "xref" {
		p.pos = save
		return d.readXRefStream(p)
	}
	for {
		save := p.pos
		if string(p.keyword()) == "trailer" {
			break
		}
		p.pos = save
		first, err := p.uint()
		if err != nil {
			return nil, false, err
		}
		count, err := p.uint()
		if err != nil {
			return nil, false, err
		}
		if count > maxObjects || first+count > maxObjects || count*18 > len(d.buf)-p.pos {
			return nil, false, fmt.Errorf("%w: cross-reference subsection of %d entries", ErrTooLarge, count)
		}
		for i := range count {
			o, err := p.uint()
			if err != nil {
				return nil, false, err
			}
			g, err := p.uint()
			if err != nil {
				return nil, false, err
			}
			switch string(p.keyword()) {
			case "n":
				err = d.set(first+i, xrefEntry{kind: 1, off: int64(o), gen: g, filled: true})
			case "f":
				err = d.set(first+i, xrefEntry{filled: true})
			default:
				return nil, false, p.errf("bad cross-reference entry")
			}
			if err != nil {
				return nil, false, err
			}
		}
	}
	t, err := p.object(0)
	if err != nil {
		return nil, false, err
	}
	td, ok := t.(*Dict)
	if !ok {
		return nil, false, fmt.Errorf("%w: the trailer is not a dictionary", ErrMalformed)
	}
	return td, false, nil
}

func (d *Document) readXRefStream(p *parser) (*Dict, bool, error) {
	_, o, err := p.indirect(directLength)
	if err != nil {
		return nil, false, err
	}
	s, ok := o.(*Stream)
	if !ok || s.Dict.Get("Type") != Name("XRef") {
		return nil, false, fmt.Errorf("%w: startxref points to neither a table nor a cross-reference stream", ErrMalformed)
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, false, err
	}
	w, ok := s.Dict.Get("W").(Array)
	if !ok || len(w) != 3 {
		return nil, false, fmt.Errorf("%w: cross-reference stream /W", ErrMalformed)
	}
	var widths [3]int
	row := 0
	for i, x := range w {
		n, ok := x.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, false, fmt.Errorf("%w: cross-reference stream /W", ErrMalformed)
		}
		widths[i] = int(n)
		row += int(n)
	}
	if row == 0 {
		return nil, false, fmt.Errorf("%w: cross-reference stream /W", ErrMalformed)
	}
	size, ok := s.Dict.Get("Size").(int64)
	if !ok || size < 0 || size > maxObjects {
		return nil, false, fmt.Errorf("%w: cross-reference stream /Size", ErrMalformed)
	}
	index := Array{int64(0), size}
	if x, ok := s.Dict.Get("Index").(Array); ok {
		index = x
	}
	if len(index)%2 != 0 {
		return nil, false, fmt.Errorf("%w: cross-reference stream /Index", ErrMalformed)
	}
	pos := 0
	field := func(n int) int64 {
		var v int64
		for range n {
			v = v<<8 | int64(data[pos])
			pos++
		}
		return v
	}
	for i := 0; i < len(index); i += 2 {
		first, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || first < 0 || count < 0 || first+count > maxObjects {
			return nil, false, fmt.Errorf("%w: cross-reference stream /Index", ErrMalformed)
		}
		if count*int64(row) > int64(len(data)-pos) {
			return nil, false, fmt.Errorf("%w: cross-reference stream shorter than its /Index", ErrMalformed)
		}
		for j := range count {
			typ := int64(1) // a zero-width type field means type 1
			if widths[0] > 0 {
				typ = field(widths[0])
			}
			f2, f3 := field(widths[1]), field(widths[2])
			var e xrefEntry
			switch typ {
			case 0:
				e = xrefEntry{filled: true}
			case 1:
				e = xrefEntry{kind: 1, off: f2, gen: int(f3), filled: true}
			case 2:
				e = xrefEntry{kind: 2, off: f2, gen: int(f3), filled: true}
			default:
				continue // unknown types are null references (§7.5.8.3)
			}
			if err := d.set(int(first+j), e); err != nil {
				return nil, false, err
			}
		}
	}
	return s.Dict, true, nil
}

// directLength reads a /Length that must be direct (cross-reference streams).
func directLength(o Object) (int64, error) {
	n, ok := o.(int64)
	if !ok {
		return 0, fmt.Errorf("%w: stream /Length is not a direct integer", ErrMalformed)
	}
	return n, nil
}

// Resolve follows references until a direct object; a reference to an object that
// does not exist resolves to null, as §7.3.10 says.
func (d *Document) Resolve(o Object) (Object, error) {
	for range maxResolve {
		r, ok := o.(Ref)
		if !ok {
			return o, nil
		}
		var err error
		if o, err = d.object(r, 0); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: references nested deeper than %d", ErrTooLarge, maxResolve)
}

// ResolveDict resolves o and requires a dictionary (nil for null).
func (d *Document) ResolveDict(o Object) (*Dict, error) {
	o, err := d.Resolve(o)
	if err != nil || o == nil {
		return nil, err
	}
	switch v := o.(type) {
	case *Dict:
		return v, nil
	case *Stream:
		return v.Dict, nil
	}
	return nil, fmt.Errorf("%w: expected a dictionary", ErrMalformed)
}

// Offset returns the file offset of an object stored uncompressed in the file.
func (d *Document) Offset(r Ref) (int64, bool) {
	e, ok := d.xref[r.Num]
	if !ok || e.kind != 1 || e.gen != r.Gen {
		return 0, false
	}
	return e.off, true
}

func (d *Document) object(r Ref, depth int) (Object, error) {
	if depth > maxResolve {
		return nil, fmt.Errorf("%w: references nested deeper than %d", ErrTooLarge, maxResolve)
	}
	if o, ok := d.cache[r]; ok {
		return o, nil
	}
	e, ok := d.xref[r.Num]
	if !ok || e.kind == 0 {
		return nil, nil
	}
	var o Object
	switch e.kind {
	case 1:
		if e.gen != r.Gen {
			return nil, nil
		}
		if e.off < 0 || e.off >= int64(len(d.buf)) {
			return nil, fmt.Errorf("%w: object %d at an offset outside the file", ErrMalformed, r.Num)
		}
		p := &parser{buf: d.buf, pos: int(e.off), inFile: true, tokens: &d.tokens}
		got, obj, err := p.indirect(func(l Object) (int64, error) {
			if lr, ok := l.(Ref); ok {
				lo, err := d.object(lr, depth+1)
				if err != nil {
					return 0, err
				}
				l = lo
			}
			return directLength(l)
		})
		if err != nil {
			return nil, err
		}
		if got != r {
			return nil, fmt.Errorf("%w: the cross-reference table points object %d to object %d", ErrMalformed, r.Num, got.Num)
		}
		o = obj
	case 2:
		if r.Gen != 0 {
			return nil, nil
		}
		os, err := d.objStream(int(e.off), depth)
		if err != nil {
			return nil, err
		}
		at, ok := os.offsets[r.Num]
		if !ok {
			return nil, fmt.Errorf("%w: object %d is not in its object stream", ErrMalformed, r.Num)
		}
		p := &parser{buf: os.data, pos: at, tokens: &d.tokens}
		if o, err = p.object(0); err != nil {
			return nil, err
		}
		if _, isRef := o.(Ref); isRef {
			return nil, fmt.Errorf("%w: object %d in an object stream is a bare reference", ErrMalformed, r.Num)
		}
	}
	if len(d.cache) < maxObjects {
		d.cache[r] = o
	}
	return o, nil
}

func (d *Document) objStream(num, depth int) (*objStream, error) {
	if os, ok := d.objstm[num]; ok {
		return os, nil
	}
	e, ok := d.xref[num]
	if !ok || e.kind != 1 {
		return nil, fmt.Errorf("%w: object stream %d is not in the file", ErrMalformed, num)
	}
	o, err := d.object(Ref{Num: num, Gen: e.gen}, depth+1)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*Stream)
	if !ok || s.Dict.Get("Type") != Name("ObjStm") {
		return nil, fmt.Errorf("%w: object %d is not an object stream", ErrMalformed, num)
	}
	n, ok1 := s.Dict.Get("N").(int64)
	first, ok2 := s.Dict.Get("First").(int64)
	if !ok1 || !ok2 || n < 0 || first < 0 || n > maxObjects {
		return nil, fmt.Errorf("%w: object stream %d: /N or /First", ErrMalformed, num)
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	if first > int64(len(data)) || n*4 > first+4 {
		return nil, fmt.Errorf("%w: object stream %d: /First", ErrMalformed, num)
	}
	os := &objStream{data: data[first:], offsets: map[int]int{}}
	p := &parser{buf: data[:first], tokens: &d.tokens}
	for range n {
		on, err := p.uint()
		if err != nil {
			return nil, err
		}
		off, err := p.uint()
		if err != nil {
			return nil, err
		}
		if off > len(os.data) {
			return nil, fmt.Errorf("%w: object stream %d: offset outside", ErrMalformed, num)
		}
		if _, dup := os.offsets[on]; !dup {
			os.offsets[on] = off
			os.order = append(os.order, on)
		}
	}
	d.objstm[num] = os
	return os, nil
}

// decode returns the decoded data of s: no filter or FlateDecode, with the PNG
// predictors of cross-reference streams.
func (d *Document) decode(s *Stream) ([]byte, error) {
	f := s.Dict.Get("Filter")
	if a, ok := f.(Array); ok && len(a) == 1 {
		f = a[0]
	}
	switch f {
	case nil:
		return s.Raw, nil
	case Name("FlateDecode"):
	default:
		return nil, fmt.Errorf("%w: stream filter %v", ErrUnsupported, f)
	}
	zr, err := zlib.NewReader(bytes.NewReader(s.Raw))
	if err != nil {
		return nil, fmt.Errorf("%w: FlateDecode: %v", ErrMalformed, err)
	}
	budget := maxDecoded - d.decoded
	out, err := io.ReadAll(io.LimitReader(zr, budget+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: FlateDecode: %v", ErrMalformed, err)
	}
	if int64(len(out)) > budget {
		return nil, fmt.Errorf("%w: more than %d decompressed bytes", ErrTooLarge, maxDecoded)
	}
	d.decoded += int64(len(out))
	parms, _ := s.Dict.Get("DecodeParms").(*Dict)
	if a, ok := s.Dict.Get("DecodeParms").(Array); ok && len(a) == 1 {
		parms, _ = a[0].(*Dict)
	}
	if parms == nil {
		return out, nil
	}
	pred, _ := parms.Get("Predictor").(int64)
	switch {
	case pred <= 1:
		return out, nil
	case pred >= 10 && pred <= 15:
	default:
		return nil, fmt.Errorf("%w: predictor %d", ErrUnsupported, pred)
	}
	cols := int64(1)
	if c, ok := parms.Get("Columns").(int64); ok {
		cols = c
	}
	if c, ok := parms.Get("Colors").(int64); ok && c != 1 {
		return nil, fmt.Errorf("%w: predictor with %d colours", ErrUnsupported, c)
	}
	if b, ok := parms.Get("BitsPerComponent").(int64); ok && b != 8 {
		return nil, fmt.Errorf("%w: predictor with %d bits per component", ErrUnsupported, b)
	}
	if cols <= 0 || cols > 1<<16 {
		return nil, fmt.Errorf("%w: predictor /Columns", ErrMalformed)
	}
	return unpredictPNG(out, int(cols))
}

// unpredictPNG undoes the PNG row filters (one byte per pixel).
func unpredictPNG(in []byte, cols int) ([]byte, error) {
	row := cols + 1
	if len(in)%row != 0 {
		return nil, fmt.Errorf("%w: predicted data is not whole rows", ErrMalformed)
	}
	out := make([]byte, 0, len(in)/row*cols)
	prev := make([]byte, cols)
	for i := 0; i < len(in); i += row {
		cur := append([]byte(nil), in[i+1:i+row]...)
		for j := range cur {
			var left, up, ul byte
			if j > 0 {
				left, ul = cur[j-1], prev[j-1]
			}
			up = prev[j]
			switch in[i] {
			case 0:
			case 1:
				cur[j] += left
			case 2:
				cur[j] += up
			case 3:
				cur[j] += byte((int(left) + int(up)) / 2)
			case 4:
				cur[j] += paeth(left, up, ul)
			default:
				return nil, fmt.Errorf("%w: PNG filter type %d", ErrMalformed, in[i])
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
