package xmldsig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Limits bound what Parse accepts. The zero value of a field means its default.
type Limits struct {
	MaxBytes      int // default 16 MiB
	MaxDepth      int // default 64
	MaxNodes      int // elements, text, comments, PIs; default 200 000
	MaxAttributes int // per element; default 64
}

// Defaults of Limits.
const (
	DefaultMaxBytes      = 16 << 20
	DefaultMaxDepth      = 64
	DefaultMaxNodes      = 200_000
	DefaultMaxAttributes = 64
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = DefaultMaxAttributes
	}
	return l
}

// parsed is a document read by parse: the tree and where the document element's
// end tag starts in the input (where an enveloped signature is inserted).
type parsed struct {
	doc     *etree.Document
	root    *etree.Element
	rootEnd int // offset of "</root>" (or of "/>" of an empty root)
	selfEnd bool
	budget  int // bytes Verify may still canonicalise
	// soapBody, when set, is the only element a "#id" reference may name.
	soapBody *etree.Element
}

// parse reads untrusted XML. It refuses DOCTYPE (ErrDTD) before anything is
// expanded, non-UTF-8 encodings, several document elements, text outside the
// document element, duplicate attributes, and input beyond lim (ErrTooDeep,
// ErrTooLarge).
func parse(data []byte, lim Limits) (*parsed, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), lim.MaxBytes)
	}
	// A UTF-8 byte order mark (Windows tools write one) is not content.
	bom := 0
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		data, bom = data[3:], 3
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = refuseCharset
	var (
		depth, nodes, roots int
		rootEnd             = -1
		selfEnd             bool
		first               = true
		norm                []byte // data with attribute values normalised, when needed
		copied              int    // data[:copied] is in norm
	)
	for {
		before := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errCharset) {
				return nil, fmt.Errorf("%w: only UTF-8 documents are accepted", ErrMalformed)
			}
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		nodes++
		if nodes > lim.MaxNodes {
			return nil, fmt.Errorf("%w: more than %d nodes", ErrTooLarge, lim.MaxNodes)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return nil, fmt.Errorf("%w: more than one document element", ErrMalformed)
				}
			}
			depth++
			if depth > lim.MaxDepth {
				return nil, fmt.Errorf("%w: deeper than %d", ErrTooDeep, lim.MaxDepth)
			}
			if raw := data[before:dec.InputOffset()]; bytes.ContainsAny(raw, "\t\n\r") {
				if tag, changed := normalizeAttrWhitespace(raw); changed {
					norm = append(append(norm, data[copied:before]...), tag...)
					copied = int(dec.InputOffset())
				}
			}
			if len(t.Attr) > lim.MaxAttributes {
				return nil, fmt.Errorf("%w: more than %d attributes on an element", ErrTooLarge, lim.MaxAttributes)
			}
			for i := range t.Attr {
				for j := range i {
					if t.Attr[i].Name == t.Attr[j].Name {
						return nil, fmt.Errorf("%w: duplicate attribute %s", ErrMalformed, t.Attr[i].Name.Local)
					}
				}
				if t.Attr[i].Name.Space == "xmlns" && t.Attr[i].Value == "" {
					return nil, fmt.Errorf("%w: empty namespace for prefix %s", ErrMalformed, t.Attr[i].Name.Local)
				}
			}
			if depth == 1 {
				// An empty root <r/>: the end tag is implied; remember where "/>" is.
				end := int(dec.InputOffset())
				if end >= 2 && string(data[end-2:end]) == "/>" {
					rootEnd, selfEnd = end-2, true
				}
			}
		case xml.EndElement:
			depth--
			if depth == 0 && !selfEnd {
				rootEnd = int(before)
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("%w: text outside the document element", ErrMalformed)
			}
		case xml.Directive:
			return nil, ErrDTD
		case xml.ProcInst:
			if t.Target == "xml" && !first {
				return nil, fmt.Errorf("%w: misplaced XML declaration", ErrMalformed)
			}
		}
		first = false
	}
	if roots != 1 || depth != 0 {
		return nil, fmt.Errorf("%w: no document element", ErrMalformed)
	}
	if norm != nil {
		data = append(norm, data[copied:]...)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: refuseCharset, MaxDepth: lim.MaxDepth + 1}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no document element", ErrMalformed)
	}
	if err := checkPrefixes(root); err != nil {
		return nil, err
	}
	return &parsed{doc: doc, root: root, rootEnd: rootEnd + bom, selfEnd: selfEnd}, nil
}

// normalizeAttrWhitespace applies XML 1.0's attribute-value normalisation
// (§3.3.3, after §2.11's line-end handling) to the literal characters of a
// start tag: a tab, line feed, carriage return or CR LF inside a quoted value
// becomes one space. encoding/xml does not do it, and without it a value would
// canonicalise differently here than in libxml2 or Xerces. Character
// references (&#10;) are not literal and keep their character.
func normalizeAttrWhitespace(tag []byte) ([]byte, bool) {
	out := make([]byte, 0, len(tag))
	var quote byte
	changed := false
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case quote == 0:
			if c == '"' || c == '\'' {
				quote = c
			}
		case c == quote:
			quote = 0
		case c == '\r':
			c, changed = ' ', true
			if i+1 < len(tag) && tag[i+1] == '\n' {
				i++
			}
		case c == '\n' || c == '\t':
			c, changed = ' ', true
		}
		out = append(out, c)
	}
	return out, changed
}

var errCharset = errors.New("charset")

func refuseCharset(charset string, r io.Reader) (io.Reader, error) {
	if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
		return r, nil
	}
	return nil, errCharset
}

// checkPrefixes refuses elements and attributes whose prefix is not declared
// (encoding/xml accepts them; canonical forms would differ between parsers).
func checkPrefixes(e *etree.Element) error {
	if e.Space != "" && e.Space != "xml" && e.Space != "xmlns" && lookupPrefix(e, e.Space) == "" {
		return fmt.Errorf("%w: undeclared prefix %q", ErrMalformed, e.Space)
	}
	if e.Space == "xmlns" {
		return fmt.Errorf("%w: element with the xmlns prefix", ErrMalformed)
	}
	for _, a := range e.Attr {
		if a.Space != "" && a.Space != "xml" && a.Space != "xmlns" && lookupPrefix(e, a.Space) == "" {
			return fmt.Errorf("%w: undeclared prefix %q", ErrMalformed, a.Space)
		}
	}
	for _, c := range e.ChildElements() {
		if err := checkPrefixes(c); err != nil {
			return err
		}
	}
	return nil
}

// xmlNS is the namespace bound to the prefix xml.
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// lookupPrefix returns the namespace bound to prefix at e ("" for the default
// namespace when prefix is ""), or "" when unbound.
func lookupPrefix(e *etree.Element, prefix string) string {
	if prefix == "xml" {
		return xmlNS
	}
	for x := e; x != nil; x = x.Parent() {
		for _, a := range x.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" {
				return a.Value
			}
			if prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// nsOf returns the namespace URI of e.
func nsOf(e *etree.Element) string { return lookupPrefix(e, e.Space) }

// is reports whether e is the element {ns}local.
func is(e *etree.Element, ns, local string) bool {
	return e != nil && e.Tag == local && nsOf(e) == ns
}
