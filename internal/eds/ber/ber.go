// Package ber turns BER into DER. The NCA's tools write BER — NCALayer and
// KalkanCrypt for CMS, the NCA's key files for PKCS#12: indefinite lengths and
// constructed (chunked) strings. ToDER rewrites such input with DER lengths and
// primitive strings so that strict DER readers (encoding/asn1, cryptobyte) accept it.
// It does not reorder SET OF members: signed attributes are signed in DER already,
// and other sets keep their order (CMS signers stay in the order they were added).
package ber

import (
	"errors"
	"fmt"
)

// ErrMalformed: the input is not one well-formed BER element.
var ErrMalformed = errors.New("malformed BER")

const maxDepth = 48

// ToDER normalises one BER element that fills all of b. DER input comes back
// byte-for-byte equal. Errors wrap ErrMalformed.
func ToDER(b []byte) ([]byte, error) {
	n := normaliser{out: make([]byte, 0, len(b))}
	rest, err := n.element(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the outer element", ErrMalformed, len(rest))
	}
	return n.out, nil
}

type normaliser struct{ out []byte }

type header struct {
	id          []byte // identifier octets
	universal   bool
	tag         uint32
	constructed bool
	indefinite  bool
	length      int
}

func parseHeader(b []byte) (h header, body []byte, err error) {
	if len(b) < 2 {
		return h, nil, fmt.Errorf("%w: truncated header", ErrMalformed)
	}
	i := 1
	h.universal = b[0]>>6 == 0
	h.constructed = b[0]&0x20 != 0
	h.tag = uint32(b[0] & 0x1f)
	if h.tag == 0x1f {
		h.tag = 0
		for {
			if i >= len(b) || i > 4 {
				return h, nil, fmt.Errorf("%w: bad tag", ErrMalformed)
			}
			c := b[i]
			i++
			h.tag = h.tag<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	h.id = b[:i]
	if i >= len(b) {
		return h, nil, fmt.Errorf("%w: truncated length", ErrMalformed)
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		h.length = int(l)
	case l == 0x80:
		if !h.constructed {
			return h, nil, fmt.Errorf("%w: indefinite length of a primitive element", ErrMalformed)
		}
		h.indefinite = true
	case l == 0xff:
		return h, nil, fmt.Errorf("%w: reserved length octet", ErrMalformed)
	default:
		n := int(l & 0x7f)
		if n > 4 || i+n > len(b) {
			return h, nil, fmt.Errorf("%w: bad length", ErrMalformed)
		}
		v := 0
		for _, c := range b[i : i+n] {
			v = v<<8 | int(c)
		}
		i += n
		h.length = v
	}
	body = b[i:]
	if !h.indefinite && (h.length < 0 || h.length > len(body)) {
		return h, nil, fmt.Errorf("%w: length %d beyond the data", ErrMalformed, h.length)
	}
	return h, body, nil
}

func appendLength(out []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(out, byte(n))
	case n < 0x100:
		return append(out, 0x81, byte(n))
	case n < 0x10000:
		return append(out, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		return append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// chunkedString reports the universal string types that BER may send in constructed
// chunks and DER requires primitive.
func chunkedString(h header) bool {
	if !h.universal || !h.constructed {
		return false
	}
	switch h.tag {
	case 4, 12, 19, 20, 22, 26, 30: // OCTET, UTF8, Printable, T61, IA5, Visible, BMP
		return true
	}
	return false
}

// element writes the DER form of the element at the start of b to n.out and returns
// the bytes after it.
func (n *normaliser) element(b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrMalformed, maxDepth)
	}
	h, body, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if !h.constructed {
		n.out = append(n.out, h.id...)
		n.out = appendLength(n.out, h.length)
		n.out = append(n.out, body[:h.length]...)
		return body[h.length:], nil
	}
	if chunkedString(h) {
		return n.chunked(h, body, depth)
	}
	// Constructed: write a placeholder header, the children, then fix the length.
	n.out = append(n.out, h.id...)
	start := len(n.out)
	rest, err := n.children(h, body, depth)
	if err != nil {
		return nil, err
	}
	n.fixLength(start)
	return rest, nil
}

// children normalises the contents of a constructed element and returns what follows it.
func (n *normaliser) children(h header, body []byte, depth int) ([]byte, error) {
	if h.indefinite {
		for {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				return body[2:], nil
			}
			if len(body) == 0 {
				return nil, fmt.Errorf("%w: missing end-of-contents", ErrMalformed)
			}
			r, err := n.element(body, depth+1)
			if err != nil {
				return nil, err
			}
			body = r
		}
	}
	inner, rest := body[:h.length], body[h.length:]
	for len(inner) > 0 {
		r, err := n.element(inner, depth+1)
		if err != nil {
			return nil, err
		}
		inner = r
	}
	return rest, nil
}

// fixLength inserts the DER length of n.out[start:] at start.
func (n *normaliser) fixLength(start int) {
	content := len(n.out) - start
	var l [5]byte
	ll := appendLength(l[:0], content)
	n.out = append(n.out, ll...)
	copy(n.out[start+len(ll):], n.out[start:start+content])
	copy(n.out[start:], ll)
}

// chunked joins the segments of a constructed string into one primitive string.
func (n *normaliser) chunked(h header, body []byte, depth int) ([]byte, error) {
	sub := normaliser{}
	rest, err := sub.children(h, body, depth)
	if err != nil {
		return nil, err
	}
	var content []byte
	segs := sub.out
	for len(segs) > 0 {
		sh, sb, err := parseHeader(segs)
		if err != nil || sh.constructed || !sh.universal || sh.tag != h.tag {
			return nil, fmt.Errorf("%w: bad segment of a constructed string", ErrMalformed)
		}
		seg := sb[:sh.length]
		content = append(content, seg...)
		segs = sb[sh.length:]
	}
	n.out = append(n.out, h.id[0]&^0x20)
	n.out = append(n.out, h.id[1:]...)
	n.out = appendLength(n.out, len(content))
	n.out = append(n.out, content...)
	return rest, nil
}
