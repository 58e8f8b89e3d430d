package xmldsig

import (
	"bytes"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// Canonicalisation algorithm URIs.
const (
	C14N10            = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	C14N10Comments    = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	ExcC14N10         = "http://www.w3.org/2001/10/xml-exc-c14n#"
	ExcC14N10Comments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
)

// c14nMethod is one canonicalisation algorithm with its parameters.
type c14nMethod struct {
	exclusive bool
	comments  bool
	// inclusive lists the InclusiveNamespaces PrefixList of exclusive c14n
	// ("" stands for #default).
	inclusive map[string]bool
}

func c14nByURI(uri string) (c14nMethod, bool) {
	switch uri {
	case C14N10:
		return c14nMethod{}, true
	case C14N10Comments:
		return c14nMethod{comments: true}, true
	case ExcC14N10:
		return c14nMethod{exclusive: true}, true
	case ExcC14N10Comments:
		return c14nMethod{exclusive: true, comments: true}, true
	}
	return c14nMethod{}, false
}

// canonicalizer writes the canonical form of a node set: a subtree (or the
// whole document), minus the elements in skip (the enveloped signature), with
// or without comments.
type canonicalizer struct {
	m    c14nMethod
	skip *etree.Element
	buf  bytes.Buffer
}

// canonicalDocument returns the canonical form of the whole document (a
// Reference with URI=""; comments go only when m.comments).
func canonicalDocument(doc *etree.Document, m c14nMethod, skip *etree.Element) []byte {
	c := &canonicalizer{m: m, skip: skip}
	seenRoot := false
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			c.element(t, nil, inScope(t), true)
			seenRoot = true
		case *etree.ProcInst:
			if t.Target == "xml" {
				continue
			}
			if seenRoot {
				c.buf.WriteByte('\n')
			}
			c.procInst(t)
			if !seenRoot {
				c.buf.WriteByte('\n')
			}
		case *etree.Comment:
			if !m.comments {
				continue
			}
			if seenRoot {
				c.buf.WriteByte('\n')
			}
			c.comment(t)
			if !seenRoot {
				c.buf.WriteByte('\n')
			}
		}
	}
	return c.buf.Bytes()
}

// canonicalSubtree returns the canonical form of the subtree at apex (a
// Reference "#id", or SignedInfo), in the context of apex's ancestors.
func canonicalSubtree(apex *etree.Element, m c14nMethod, skip *etree.Element) []byte {
	c := &canonicalizer{m: m, skip: skip}
	c.element(apex, nil, inScope(apex), true)
	return c.buf.Bytes()
}

type nsDecl struct{ prefix, uri string }

// inScope returns the namespace bindings in scope at e, prefix → URI ("" key
// for the default namespace; an undeclared default is absent).
func inScope(e *etree.Element) map[string]string {
	m := map[string]string{}
	var chain []*etree.Element
	for x := e; x != nil && x.Tag != ""; x = x.Parent() {
		chain = append(chain, x)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Attr {
			switch {
			case a.Space == "" && a.Key == "xmlns":
				if a.Value == "" {
					delete(m, "")
				} else {
					m[""] = a.Value
				}
			case a.Space == "xmlns":
				m[a.Key] = a.Value
			}
		}
	}
	return m
}

// withDecls returns scope updated by e's own namespace declarations (scope
// itself when e declares none).
func withDecls(scope map[string]string, e *etree.Element) map[string]string {
	var next map[string]string
	for _, a := range e.Attr {
		if a.Space != "xmlns" && !(a.Space == "" && a.Key == "xmlns") {
			continue
		}
		if next == nil {
			next = make(map[string]string, len(scope)+1)
			for k, v := range scope {
				next[k] = v
			}
		}
		switch {
		case a.Space == "xmlns":
			next[a.Key] = a.Value
		case a.Value == "":
			delete(next, "")
		default:
			next[""] = a.Value
		}
	}
	if next == nil {
		return scope
	}
	return next
}

// element writes e. rendered holds the namespace declarations in effect in
// the output at e's output parent (nil at the apex); scope the bindings in
// scope at e.
func (c *canonicalizer) element(e *etree.Element, rendered, scope map[string]string, apex bool) {
	if e == c.skip {
		return
	}
	var decls []nsDecl
	if c.m.exclusive {
		used := map[string]bool{e.Space: true}
		for _, a := range e.Attr {
			if a.Space != "" && a.Space != "xmlns" && a.Space != "xml" {
				used[a.Space] = true
			}
		}
		for p := range c.m.inclusive {
			if _, ok := scope[p]; ok {
				used[p] = true
			}
		}
		for p := range used {
			if uri, have := scope[p], rendered[p]; uri != have {
				decls = append(decls, nsDecl{p, uri})
			}
		}
	} else {
		for p, uri := range scope {
			if rendered[p] != uri {
				decls = append(decls, nsDecl{p, uri})
			}
		}
		if _, ok := scope[""]; !ok && rendered[""] != "" {
			decls = append(decls, nsDecl{"", ""})
		}
	}
	if len(decls) > 0 {
		next := make(map[string]string, len(rendered)+len(decls))
		for k, v := range rendered {
			next[k] = v
		}
		for _, d := range decls {
			if d.uri == "" {
				delete(next, d.prefix)
			} else {
				next[d.prefix] = d.uri
			}
		}
		rendered = next
		sort.Slice(decls, func(i, j int) bool { return decls[i].prefix < decls[j].prefix })
	}

	type attr struct{ ns, local, name, value string }
	var attrs []attr
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		ns := ""
		switch a.Space {
		case "":
		case "xml":
			ns = xmlNS
		default:
			ns = scope[a.Space]
		}
		attrs = append(attrs, attr{ns, a.Key, a.FullKey(), a.Value})
	}
	if apex && !c.m.exclusive {
		// Inclusive C14N 1.0 carries the xml:* attributes of the apex's
		// ancestors onto the apex (§2.4).
		have := map[string]bool{}
		for _, a := range e.Attr {
			if a.Space == "xml" {
				have[a.Key] = true
			}
		}
		for x := e.Parent(); x != nil && x.Tag != ""; x = x.Parent() {
			for _, a := range x.Attr {
				if a.Space == "xml" && !have[a.Key] {
					have[a.Key] = true
					attrs = append(attrs, attr{xmlNS, a.Key, "xml:" + a.Key, a.Value})
				}
			}
		}
	}
	sort.SliceStable(attrs, func(i, j int) bool {
		if attrs[i].ns != attrs[j].ns {
			return attrs[i].ns < attrs[j].ns
		}
		return attrs[i].local < attrs[j].local
	})

	name := e.FullTag()
	c.buf.WriteByte('<')
	c.buf.WriteString(name)
	for _, d := range decls {
		if d.prefix == "" {
			c.buf.WriteString(` xmlns="`)
		} else {
			c.buf.WriteString(` xmlns:`)
			c.buf.WriteString(d.prefix)
			c.buf.WriteString(`="`)
		}
		escapeAttr(&c.buf, d.uri)
		c.buf.WriteByte('"')
	}
	for _, a := range attrs {
		c.buf.WriteByte(' ')
		c.buf.WriteString(a.name)
		c.buf.WriteString(`="`)
		escapeAttr(&c.buf, a.value)
		c.buf.WriteByte('"')
	}
	c.buf.WriteByte('>')
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			c.element(t, rendered, withDecls(scope, t), false)
		case *etree.CharData:
			escapeText(&c.buf, t.Data)
		case *etree.Comment:
			if c.m.comments {
				c.comment(t)
			}
		case *etree.ProcInst:
			c.procInst(t)
		}
	}
	c.buf.WriteString("</")
	c.buf.WriteString(name)
	c.buf.WriteByte('>')
}

func (c *canonicalizer) comment(t *etree.Comment) {
	c.buf.WriteString("<!--")
	c.buf.WriteString(t.Data)
	c.buf.WriteString("-->")
}

func (c *canonicalizer) procInst(t *etree.ProcInst) {
	c.buf.WriteString("<?")
	c.buf.WriteString(t.Target)
	if inst := strings.TrimLeft(t.Inst, " \t\r\n"); inst != "" {
		c.buf.WriteByte(' ')
		c.buf.WriteString(inst)
	}
	c.buf.WriteString("?>")
}

func escapeText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}

func escapeAttr(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}
