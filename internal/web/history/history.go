// Package history is the cabinet's "verify my history" area: the logged events about
// the citizen with their proof badges, and each event's evidence bundle.
package history

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strconv"
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

type area struct {
	s   *web.Shell
	log Log
}

// Mount adds the history page and its menu entry to the shell.
func Mount(s *web.Shell, log Log) error {
	if log == nil {
		return errors.New("history: a Log is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, log: log}
	s.Handle("GET /history", web.Citizen(a.history))
	s.Handle("GET /history/{index}/evidence.json", web.Download(a.evidence))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/history", ID: "nav-history", Key: "nav.history"})
	return nil
}

type row struct {
	Index    int64
	Time     time.Time
	Label    string
	Actor    string
	Verified bool
	Problem  string
}

// history lists the logged events about the logged-in citizen with their proof badges.
func (a *area) history(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	entries, err := a.log.SubjectHistory(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	rows := make([]row, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		e := entries[i]
		label := e.Type
		if k := "event." + e.Type; i18n.Has(p.Lang, k) {
			label = i18n.T(p.Lang, k)
		}
		actor := e.Actor
		if actor == sess.Citizen.Ref() {
			actor = sess.Citizen.Name
		}
		rows = append(rows, row{Index: e.Index, Time: time.UnixMicro(e.Time).UTC(), Label: label, Actor: actor, Verified: e.Verified, Problem: e.Problem})
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
