package console

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// Senders is the sender-permission directory (notify.Service): which organisations may
// send citizens notices of which categories, kept by the authorized body.
type Senders interface {
	Senders(ctx context.Context) (map[string][]string, error)
	SetSender(ctx context.Context, actor, bin string, categories []string) error
	// SenderHistories: every organisation's changes of permission, by BIN, oldest first.
	SenderHistories(ctx context.Context) (map[string][]notify.SenderChange, error)
	Categories() []string
	CategoryTitle(code, lang string) string
}

var sendersView = views.Add("senders", "console.senders.title")

type sendersData struct {
	Rows       []senderRow
	Categories []string
	// Titles name the categories in the page's language.
	Titles map[string]string
	// What was typed into the form that failed, shown again.
	BIN     string
	Checked []string
}

type senderRow struct {
	Org        web.Party
	Categories []string
	History    []senderLine
}

type senderLine struct {
	At         time.Time
	Categories []string
	Who, WhoID string
}

// Title names a category (a code no longer in the policy, in an old history line, is
// shown as it is).
func (d sendersData) Title(c string) string {
	if t, ok := d.Titles[c]; ok {
		return t
	}
	return c
}

// Has reports whether c is among cs (the template ticks its boxes with it).
func (sendersData) Has(cs []string, c string) bool { return slices.Contains(cs, c) }

func (a *area) sendersPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderSenders(w, r, sess, "", nil)
}

func (a *area) renderSenders(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string, f *failed) error {
	ctx := r.Context()
	p := a.s.Page(w, r, sess)
	names, err := a.orgNames(ctx, p.Lang)
	if err != nil {
		return err
	}
	dir, err := a.cfg.Senders.Senders(ctx)
	if err != nil {
		return err
	}
	d := sendersData{Categories: a.cfg.Senders.Categories(), Titles: map[string]string{}}
	for _, c := range d.Categories {
		d.Titles[c] = a.cfg.Senders.CategoryTitle(c, p.Lang)
	}
	hs, err := a.cfg.Senders.SenderHistories(ctx) // one query for the whole page
	if err != nil {
		return err
	}
	for _, bin := range slices.Sorted(maps.Keys(dir)) {
		row := senderRow{Org: web.Party{Name: names[bin], BIN: bin}, Categories: dir[bin]}
		h := hs[bin]
		for i := len(h) - 1; i >= 0; i-- { // newest first
			l := senderLine{At: h[i].At, Categories: h[i].Categories}
			l.Who, l.WhoID = who(h[i].Actor)
			row.History = append(row.History, l)
		}
		d.Rows = append(d.Rows, row)
	}
	p.Notice = notice
	status := http.StatusOK
	if f != nil {
		d.BIN, d.Checked = f.values.Get("bin"), list(&http.Request{PostForm: f.values}, "categories")
		pr := problem.From(f.err)
		status = pr.Status
		switch pr.Code {
		case notify.ErrCategoryUnknown.Code:
			p.Error = "console.senders.err.category"
			p.Invalid("sender-categories", p.Error)
		default:
			p.Error = "console.senders.err.bin"
			p.Invalid("sender-bin", p.Error)
		}
	}
	p.Data = d
	return a.s.Render(w, r, status, sendersView, p)
}

// setSender grants the ticked categories to a BIN, replacing what it had; "withdraw"
// (or nothing ticked) withdraws the permission. A refused change shows the page again
// with the form as typed and changes nothing.
func (a *area) setSender(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	cats := list(r, "categories")
	if r.PostFormValue("withdraw") == "yes" {
		cats = []string{}
	}
	err := a.cfg.Senders.SetSender(r.Context(), staffActor(sess), strings.TrimSpace(r.PostFormValue("bin")), cats)
	if err != nil {
		if pr := problem.From(err); pr.Status >= 500 {
			return err
		}
		return a.renderSenders(w, r, sess, "", &failed{form: "sender", values: r.PostForm, err: err})
	}
	return a.renderSenders(w, r, sess, "console.saved", nil)
}
