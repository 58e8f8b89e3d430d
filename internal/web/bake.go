package web

import (
	"errors"
	"html/template"
	"io"
	"strings"
	"text/template/parse"

	"github.com/senimkz/senim/internal/i18n"
)

// Every page repeats the same translations: the layout alone has some twenty
// {{t "key"}} actions, each two reflective calls (t and the escaper html/template adds)
// on every render — most of the time html/template spends on a page. A view's templates
// are parsed once per language, so such an action with a constant key always prints
// the same text: bakeTranslations puts that text into the template as it was escaped.
//
// It works on the templates after html/template has escaped them, so the context is
// the escaper's decision, not ours: only an action that is exactly t of a constant
// string followed by the escaper for HTML text or for a quoted attribute value is
// replaced, and its text is escaped by html/template itself in that same context.
// Anything else (t with arguments or a variable key, t in a script, a style or a URL)
// is left as it was. TestBakedTranslationsRenderTheSame renders the shell's pages in
// every language baked and not, and compares them byte for byte.

// bakeEnabled turns baking off for the test that compares both ways.
var bakeEnabled = true

// The escapers html/template appends to an action in HTML text and in a quoted
// attribute value (html/template's escape.go names them so).
const (
	escHTML = "_html_template_htmlescaper"
	escAttr = "_html_template_attrescaper"
)

// bakeTranslations escapes t's templates (by executing "layout" once, with no data,
// into nothing) and replaces their constant translations by text. It returns how many
// actions it replaced.
func bakeTranslations(t *template.Template, lang string) (int, error) {
	if !bakeEnabled {
		return 0, nil
	}
	// html/template escapes a template and those it calls the first time it runs; the
	// run itself fails on the missing data and that error is expected. An escaping
	// error is a broken template and is returned.
	if err := t.ExecuteTemplate(io.Discard, "layout", nil); err != nil {
		var te *template.Error
		if errors.As(err, &te) {
			return 0, err
		}
	}
	n := 0
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		k, err := bakeList(tt.Tree.Root, lang)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func bakeList(l *parse.ListNode, lang string) (int, error) {
	if l == nil {
		return 0, nil
	}
	n := 0
	for i, node := range l.Nodes {
		var inner []*parse.ListNode
		switch x := node.(type) {
		case *parse.ActionNode:
			key, esc, ok := constantT(x.Pipe)
			if !ok {
				continue
			}
			text, err := escapeAs(esc, i18n.T(lang, key))
			if err != nil {
				return n, err
			}
			l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: x.Pos, Text: []byte(text)}
			n++
		case *parse.IfNode:
			inner = []*parse.ListNode{x.List, x.ElseList}
		case *parse.RangeNode:
			inner = []*parse.ListNode{x.List, x.ElseList}
		case *parse.WithNode:
			inner = []*parse.ListNode{x.List, x.ElseList}
		case *parse.ListNode:
			inner = []*parse.ListNode{x}
		}
		for _, in := range inner {
			k, err := bakeList(in, lang)
			if err != nil {
				return n, err
			}
			n += k
		}
	}
	return n, nil
}

// constantT reports whether p is exactly `t "key" | escaper` with one of the two
// escapers baked, and returns the key and the escaper.
func constantT(p *parse.PipeNode) (key, esc string, ok bool) {
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) != 2 || len(p.Cmds[0].Args) != 2 || len(p.Cmds[1].Args) != 1 {
		return "", "", false
	}
	fn, ok1 := p.Cmds[0].Args[0].(*parse.IdentifierNode)
	arg, ok2 := p.Cmds[0].Args[1].(*parse.StringNode)
	e, ok3 := p.Cmds[1].Args[0].(*parse.IdentifierNode)
	if !ok1 || !ok2 || !ok3 || fn.Ident != "t" || (e.Ident != escHTML && e.Ident != escAttr) {
		return "", "", false
	}
	return arg.Text, e.Ident, true
}

// The two contexts, escaped by html/template itself.
var (
	escapeText = template.Must(template.New("text").Parse(`{{.}}`))
	escapeAttr = template.Must(template.New("attr").Parse(`<p title="{{.}}">`))
)

func escapeAs(esc, s string) (string, error) {
	var b strings.Builder
	if esc == escHTML {
		err := escapeText.Execute(&b, s)
		return b.String(), err
	}
	if err := escapeAttr.Execute(&b, s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), `<p title="`), `">`), nil
}
