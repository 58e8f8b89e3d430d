package pkcs12

import (
	"errors"
	"fmt"
)

// This file turns BER (as written by the NCA's tools: indefinite lengths,
// constructed OCTET STRINGs) into DER that encoding/asn1 accepts. It does not
// sort SET OF members, which encoding/asn1 does not require.

const maxBERDepth = 64

var errBER = errors.New("malformed BER")

// berToDER normalises one BER element filling all of b.
func berToDER(b []byte) ([]byte, error) {
	out, rest, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the element", errBER, len(rest))
	}
	return out, nil
}

type berHeader struct {
	class, tag  int
	constructed bool
	tagBytes    []byte // the identifier octets, copied to the output unchanged
	indefinite  bool
	length      int
}

func readBERHeader(b []byte) (h berHeader, rest []byte, err error) {
	if len(b) < 2 {
		return h, nil, fmt.Errorf("%w: truncated header", errBER)
	}
	i := 0
	h.class = int(b[0] >> 6)
	h.constructed = b[0]&0x20 != 0
	h.tag = int(b[0] & 0x1f)
	i++
	if h.tag == 0x1f { // high tag number form
		h.tag = 0
		for {
			if i >= len(b) || i > 4 {
				return h, nil, fmt.Errorf("%w: bad tag", errBER)
			}
			h.tag = h.tag<<7 | int(b[i]&0x7f)
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	h.tagBytes = b[:i]
	if i >= len(b) {
		return h, nil, fmt.Errorf("%w: truncated length", errBER)
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		h.length = int(l)
	case l == 0x80:
		if !h.constructed {
			return h, nil, fmt.Errorf("%w: indefinite length on a primitive", errBER)
		}
		h.indefinite = true
	default:
		n := int(l & 0x7f)
		if n > 4 || i+n > len(b) {
			return h, nil, fmt.Errorf("%w: bad length", errBER)
		}
		for _, c := range b[i : i+n] {
			h.length = h.length<<8 | int(c)
		}
		i += n
		if h.length < 0 {
			return h, nil, fmt.Errorf("%w: bad length", errBER)
		}
	}
	rest = b[i:]
	if !h.indefinite && h.length > len(rest) {
		return h, nil, fmt.Errorf("%w: length %d beyond the data", errBER, h.length)
	}
	return h, rest, nil
}

func appendDERLength(out []byte, n int) []byte {
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

// isStringType reports universal string types that BER may split into
// constructed chunks and DER requires primitive.
func isStringType(h berHeader) bool {
	if h.class != 0 {
		return false
	}
	switch h.tag {
	case 4, 12, 19, 20, 22, 26, 30: // OCTET, UTF8, Printable, T61, IA5, Visible, BMP
		return true
	}
	return false
}

// berElement normalises the element at the start of b and returns it in DER
// and the bytes after it.
func berElement(b []byte, depth int) (der, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, fmt.Errorf("%w: nesting too deep", errBER)
	}
	h, body, err := readBERHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if !h.constructed {
		v := body[:h.length]
		out := append([]byte(nil), h.tagBytes...)
		out = appendDERLength(out, len(v))
		return append(out, v...), body[h.length:], nil
	}
	// Constructed: normalise the children.
	var content []byte
	var children []byte
	if h.indefinite {
		for {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				body = body[2:]
				break
			}
			if len(body) == 0 {
				return nil, nil, fmt.Errorf("%w: missing end-of-contents", errBER)
			}
			c, r, err := berElement(body, depth+1)
			if err != nil {
				return nil, nil, err
			}
			children = append(children, c...)
			body = r
		}
		rest = body
	} else {
		inner := body[:h.length]
		rest = body[h.length:]
		for len(inner) > 0 {
			c, r, err := berElement(inner, depth+1)
			if err != nil {
				return nil, nil, err
			}
			children = append(children, c...)
			inner = r
		}
	}
	if isStringType(h) {
		// Concatenate the (already DER) chunks into one primitive string.
		for len(children) > 0 {
			ch, r, err := readBERHeader(children)
			if err != nil || ch.constructed || ch.class != 0 || ch.tag != h.tag {
				return nil, nil, fmt.Errorf("%w: bad chunk in a constructed string", errBER)
			}
			content = append(content, r[:ch.length]...)
			children = r[ch.length:]
		}
		out := []byte{h.tagBytes[0] &^ 0x20}
		out = append(out, h.tagBytes[1:]...)
		out = appendDERLength(out, len(content))
		return append(out, content...), rest, nil
	}
	out := append([]byte(nil), h.tagBytes...)
	out = appendDERLength(out, len(children))
	return append(out, children...), rest, nil
}
