// Package history is the cabinet's "verify my history" area: the logged events about
// the citizen with their proof badges, and each event's evidence bundle.
package history

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views       = web.NewViews(templateFS)
	historyView = views.Add("history", "history.title")
)

// Log is the tamper-evident log as this area sees it.
type Log interface {
	SubjectHistory(ctx context.Context, subject string) ([]auditlog.HistoryEntry, error)
	Bundle(ctx context.Context, subject string, index int64) ([]byte, error)
}

// Organizations names the organizations that acted on the citizen's data.
type Organizations interface {
	Organizations(ctx context.Context) ([]identity.Organization, error)
}

// Config configures the area.
type Config struct {
	Log Log
	// Organizations names acting organizations (optional: without it, by BIN).
	Organizations Organizations
}

type area struct {
	s    *web.Shell
	log  Log
	orgs Organizations
}

// Mount adds the history page and its menu entry to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Log == nil {
		return errors.New("history: a Log is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, log: cfg.Log, orgs: cfg.Organizations}
	s.Handle("GET /history", web.Citizen(a.history))
	s.Handle("GET /history/{index}/evidence.json", web.Download(a.evidence))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/history", ID: "nav-history", Key: "nav.history"})
	return nil
}

type row struct {
	Index    int64
	Time     time.Time
	Label    string // translated
	Actor    string // a person's or the system's name, translated
	Org      web.Party
	Verified bool
	Problem  string // why the proof failed, in English (marked so)
}

// history lists the logged events about the logged-in citizen with their proof badges.
// Every event type has its text in the catalogs; one the cabinet does not know yet is
// "another event", never its code.
func (a *area) history(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	entries, err := a.log.SubjectHistory(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	names := map[string]string{}
	if a.orgs != nil {
		orgs, err := a.orgs.Organizations(r.Context())
		if err != nil {
			return err
		}
		for _, o := range orgs {
			names[o.BIN] = o.NameIn(p.Lang)
		}
	}
	rows := make([]row, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		e := entries[i]
		label := i18n.T(p.Lang, "history.event.other")
		if k := "event." + e.Type; i18n.Has(p.Lang, k) {
			label = i18n.T(p.Lang, k)
		}
		kind, id, _ := strings.Cut(e.Actor, ":")
		// A consent an organisation recorded was given to it, not by it: the event says
		// so, since the "by" column names the organisation.
		if k := "event." + e.Type + ".by_org"; kind == "org" && i18n.Has(p.Lang, k) {
			label = i18n.T(p.Lang, k)
		}
		rw := row{Index: e.Index, Time: time.UnixMicro(e.Time), Label: label, Verified: e.Verified, Problem: e.Problem}
		switch {
		case e.Actor == sess.Citizen.Ref():
			rw.Actor = sess.Citizen.Name
		case kind == "org":
			rw.Org = web.Party{Name: names[id], BIN: id}
		case kind == "admin":
			rw.Actor = i18n.T(p.Lang, "history.actor.admin")
		case kind == "citizen":
			rw.Actor = i18n.T(p.Lang, "history.actor.citizen")
		default:
			rw.Actor = i18n.T(p.Lang, "history.actor.system")
		}
		rows = append(rows, rw)
	}
	p.Data = rows
	return a.s.Render(w, r, http.StatusOK, historyView, p)
}

// evidence sends the evidence bundle of one of the citizen's own events; the log
// refuses another subject's index.
func (a *area) evidence(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	idx, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || idx < 0 {
		return problem.NotFound
	}
	b, err := a.log.Bundle(r.Context(), sess.Citizen.Ref(), idx)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="senim-evidence-`+strconv.FormatInt(idx, 10)+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}
