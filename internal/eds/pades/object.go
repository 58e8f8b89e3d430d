package pades

import (
	"bytes"
	"fmt"
	"strconv"
)

// The PDF object model of this reader (ISO 32000-1 §7.3): nil is null; bool; int64;
// Real (kept as written); Name; String; Array; *Dict; Ref; *Stream.
type (
	// Object is any PDF object.
	Object any
	// Name is a PDF name without its slash, #xx escapes decoded.
	Name string
	// Real is a real number as written.
	Real string
	// Array is a PDF array.
	Array []Object
	// Ref is an indirect reference.
	Ref struct{ Num, Gen int }
)

// String is a PDF string. Start and End delimit its token in the file (End
// exclusive, delimiters included); both are -1 for a string that is not read from
// the file's bytes directly (inside an object stream).
type String struct {
	B          []byte
	Hex        bool
	Start, End int
}

// Dict is a PDF dictionary; Keys keeps the order of writing.
type Dict struct {
	Keys []Name
	M    map[Name]Object
}

// Stream is a stream object: its dictionary and its raw (still encoded) data.
type Stream struct {
	Dict *Dict
	Raw  []byte
}

func newDict() *Dict { return &Dict{M: map[Name]Object{}} }

// Get returns the value of key (nil when absent).
func (d *Dict) Get(k Name) Object {
	if d == nil {
		return nil
	}
	return d.M[k]
}

// Set sets key, keeping the order of existing keys.
func (d *Dict) Set(k Name, v Object) {
	if _, ok := d.M[k]; !ok {
		d.Keys = append(d.Keys, k)
	}
	d.M[k] = v
}

// clone copies d shallowly.
func (d *Dict) clone() *Dict {
	c := &Dict{Keys: append([]Name(nil), d.Keys...), M: make(map[Name]Object, len(d.M))}
	for k, v := range d.M {
		c.M[k] = v
	}
	return c
}

// Limits of the parser.
const (
	maxDepth = 32 // nesting of arrays and dictionaries
	// maxTokens bounds the objects parsed from one document, all parses together (an
	// array of a million nulls is a few megabytes of input and allocates far more;
	// an object stream can point many object numbers at the same bytes).
	maxTokens = 1 << 21
)

// parser reads objects from buf; inFile: buf is the file (not a decoded object
// stream), so string tokens get their offsets.
type parser struct {
	buf    []byte
	pos    int
	inFile bool
	// tokens counts the objects parsed; shared by every parser of a document.
	tokens *int
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("%w: at %d: %s", ErrMalformed, p.pos, fmt.Sprintf(format, a...))
}

// skip skips white space and comments.
func (p *parser) skip() {
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		switch {
		case isWhite(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.buf) && p.buf[p.pos] != '\n' && p.buf[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

// keyword reads a run of regular characters.
func (p *parser) keyword() []byte {
	p.skip()
	s := p.pos
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) {
		p.pos++
	}
	return p.buf[s:p.pos]
}

// expect reads the keyword kw.
func (p *parser) expect(kw string) error {
	if k := p.keyword(); string(k) != kw {
		return p.errf("expected %q, found %q", kw, truncate(k))
	}
	return nil
}

func truncate(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// uint reads a non-negative integer keyword.
func (p *parser) uint() (int, error) {
	k := p.keyword()
	if len(k) == 0 || len(k) > 10 {
		return 0, p.errf("expected an integer")
	}
	n := 0
	for _, c := range k {
		if c < '0' || c > '9' {
			return 0, p.errf("expected an integer")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// object reads one direct object (or a reference).
func (p *parser) object(depth int) (Object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: objects nested deeper than %d", ErrTooLarge, maxDepth)
	}
	if p.tokens == nil {
		p.tokens = new(int)
	}
	if *p.tokens++; *p.tokens > maxTokens {
		return nil, fmt.Errorf("%w: more than %d objects parsed", ErrTooLarge, maxTokens)
	}
	p.skip()
	if p.pos >= len(p.buf) {
		return nil, p.errf("unexpected end of data")
	}
	switch c := p.buf[p.pos]; {
	case c == '/':
		p.pos++
		return p.name()
	case c == '(':
		return p.literal()
	case c == '<' && p.pos+1 < len(p.buf) && p.buf[p.pos+1] == '<':
		p.pos += 2
		return p.dict(depth)
	case c == '<':
		return p.hex()
	case c == '[':
		p.pos++
		var a Array
		for {
			p.skip()
			if p.pos >= len(p.buf) {
				return nil, p.errf("unterminated array")
			}
			if p.buf[p.pos] == ']' {
				p.pos++
				if a == nil {
					a = Array{}
				}
				return a, nil
			}
			o, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, o)
		}
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	case isRegular(c):
		switch k := p.keyword(); string(k) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		default:
			return nil, p.errf("unexpected keyword %q", truncate(k))
		}
	default:
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) dict(depth int) (*Dict, error) {
	d := newDict()
	for {
		p.skip()
		if p.pos+1 < len(p.buf) && p.buf[p.pos] == '>' && p.buf[p.pos+1] == '>' {
			p.pos += 2
			return d, nil
		}
		if p.pos >= len(p.buf) || p.buf[p.pos] != '/' {
			return nil, p.errf("expected a name as dictionary key")
		}
		p.pos++
		k, err := p.name()
		if err != nil {
			return nil, err
		}
		v, err := p.object(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, dup := d.M[k]; dup {
			// A duplicate key makes the dictionary ambiguous (readers differ on which
			// value wins): refuse it.
			return nil, p.errf("duplicate dictionary key /%s", k)
		}
		d.Set(k, v)
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (p *parser) name() (Name, error) {
	var b []byte
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) {
		c := p.buf[p.pos]
		if c == '#' {
			if p.pos+2 >= len(p.buf) {
				return "", p.errf("bad # escape in name")
			}
			h, ok1 := unhex(p.buf[p.pos+1])
			l, ok2 := unhex(p.buf[p.pos+2])
			if !ok1 || !ok2 {
				return "", p.errf("bad # escape in name")
			}
			b = append(b, h<<4|l)
			p.pos += 3
			continue
		}
		b = append(b, c)
		p.pos++
	}
	return Name(b), nil
}

func (p *parser) hex() (String, error) {
	start := p.pos
	p.pos++ // <
	var out []byte
	var hi byte
	half := false
	for {
		if p.pos >= len(p.buf) {
			return String{}, p.errf("unterminated hex string")
		}
		c := p.buf[p.pos]
		p.pos++
		if c == '>' {
			break
		}
		if isWhite(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			return String{}, p.errf("bad character in hex string")
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	s := String{B: out, Hex: true, Start: -1, End: -1}
	if p.inFile {
		s.Start, s.End = start, p.pos
	}
	return s, nil
}

func (p *parser) literal() (String, error) {
	start := p.pos
	p.pos++ // (
	var out []byte
	nest := 0
	for {
		if p.pos >= len(p.buf) {
			return String{}, p.errf("unterminated string")
		}
		c := p.buf[p.pos]
		p.pos++
		switch c {
		case '(':
			nest++
		case ')':
			if nest == 0 {
				s := String{B: out, Start: -1, End: -1}
				if p.inFile {
					s.Start, s.End = start, p.pos
				}
				return s, nil
			}
			nest--
		case '\\':
			if p.pos >= len(p.buf) {
				return String{}, p.errf("unterminated string")
			}
			e := p.buf[p.pos]
			p.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
					p.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && p.pos < len(p.buf) && p.buf[p.pos] >= '0' && p.buf[p.pos] <= '7'; i++ {
						v = v*8 + int(p.buf[p.pos]-'0')
						p.pos++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes: the character itself
				}
			}
		}
		out = append(out, c)
	}
}

// number reads an integer, a real, or a reference "n g R".
func (p *parser) number() (Object, error) {
	k := p.keyword()
	if len(k) > 32 {
		return nil, p.errf("number too long")
	}
	if bytes.ContainsAny(k, ".") || bytes.ContainsAny(k[1:], "+-") {
		if _, err := strconv.ParseFloat(string(k), 64); err != nil {
			return nil, p.errf("bad number %q", truncate(k))
		}
		return Real(k), nil
	}
	n, err := strconv.ParseInt(string(k), 10, 64)
	if err != nil {
		return nil, p.errf("bad number %q", truncate(k))
	}
	if k[0] == '+' || k[0] == '-' || n > 1<<31 {
		return n, nil
	}
	// A reference: "n g R".
	save := p.pos
	if g, err := p.uint(); err == nil && g <= 65535 {
		if string(p.keyword()) == "R" {
			return Ref{Num: int(n), Gen: g}, nil
		}
	}
	p.pos = save
	return n, nil
}

// indirect reads "n g obj <object> [stream ... endstream] endobj" at pos; length
// resolves an indirect /Length.
func (p *parser) indirect(length func(Object) (int64, error)) (Ref, Object, error) {
	num, err := p.uint()
	if err != nil {
		return Ref{}, nil, err
	}
	gen, err := p.uint()
	if err != nil {
		return Ref{}, nil, err
	}
	if err := p.expect("obj"); err != nil {
		return Ref{}, nil, err
	}
	o, err := p.object(0)
	if err != nil {
		return Ref{}, nil, err
	}
	save := p.pos
	k := p.keyword()
	switch string(k) {
	case "endobj":
		return Ref{num, gen}, o, nil
	case "stream":
		d, ok := o.(*Dict)
		if !ok {
			return Ref{}, nil, p.errf("stream without a dictionary")
		}
		// The keyword is followed by CRLF or LF.
		if p.pos < len(p.buf) && p.buf[p.pos] == '\r' {
			p.pos++
		}
		if p.pos >= len(p.buf) || p.buf[p.pos] != '\n' {
			return Ref{}, nil, p.errf("stream keyword not followed by an end of line")
		}
		p.pos++
		n, err := length(d.Get("Length"))
		if err != nil {
			return Ref{}, nil, err
		}
		if n < 0 || n > int64(len(p.buf)-p.pos) {
			return Ref{}, nil, p.errf("stream /Length outside the file")
		}
		raw := p.buf[p.pos : p.pos+int(n)]
		p.pos += int(n)
		if err := p.expect("endstream"); err != nil {
			return Ref{}, nil, err
		}
		if err := p.expect("endobj"); err != nil {
			return Ref{}, nil, err
		}
		return Ref{num, gen}, &Stream{Dict: d, Raw: raw}, nil
	default:
		p.pos = save
		return Ref{}, nil, p.errf("expected endobj, found %q", truncate(k))
	}
}
