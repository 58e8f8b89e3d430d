// Package inbox is the cabinet's notices area: the citizen's inbox (newest first), a
// notice's page, the acknowledgement screen of a legally significant notice and its
// read receipt to download (rule DC-2), the unread count in the header of every page,
// and the live stream (Server-Sent Events) that keeps that count and the open inbox
// current without a reload. The rules — whose notice it is, when it counts as read,
// when the content may open — are internal/notify's; this package decodes, asks and
// renders.
package inbox

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

//go:embed static/sw.js
var serviceWorker []byte

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views   = web.NewViews(templateFS)
	inboxV  = views.Add("inbox", "inbox.title", web.Needs{Script: true})
	noticeV = views.Add("notice", "inbox.notice.title")
	ackV    = views.Add("acknowledge", "inbox.ack.title")
	prefsV  = views.Add("settings", "inbox.settings.title", web.Needs{Script: true, Worker: true, Connect: []string{"'self'"}})
)

// Notices is the notification point as this area sees it.
type Notices interface {
	InboxPage(ctx context.Context, subject, before string, limit int) ([]notify.Notice, bool, error)
	Since(ctx context.Context, subject string, seq int64) ([]notify.Notice, error)
	Unread(ctx context.Context, subject string) (count int, head int64, err error) // count ≤ notify.UnreadCap
	Open(ctx context.Context, rd notify.Reader, ref string) (*notify.Opened, error)
	Acknowledge(ctx context.Context, rd notify.Reader, ref string) (*notify.Opened, error)
	Receipt(ctx context.Context, subject, ref string) (*notify.Receipt, error)
	Subscribe(subject string) (<-chan struct{}, func())
	Prefs(ctx context.Context, subject string) (map[string]notify.Pref, error)
	SetPref(ctx context.Context, subject, channel string, enabled bool, address string) error
	PushSubscriptions(ctx context.Context, subject string) ([]notify.PushSubscription, error)
	UnsubscribePush(ctx context.Context, subject, endpoint string) error
	SubscribePush(ctx context.Context, subject string, p notify.PushSubscription) error
}

// Config configures the area.
type Config struct {
	Notices Notices
	// StreamFor bounds one live stream (default 45s, under the server's write
	// timeout); the browser reconnects by itself. Poll is how often a stream looks
	// again without a wake-up (default 10s): notices delivered by another node.
	StreamFor, Poll time.Duration
	// VAPIDKey is the Web Push applicationServerKey (base64url); without it the
	// settings page offers no browser notifications.
	VAPIDKey string
	// PageSize is how many notices a page of the inbox lists (default and at most
	// 500); "Older notices" leads to the next page.
	PageSize int
	// PublicURL is Senim's public URL (the receipts' iss): the receipt page's hint
	// names its JWK set, PublicURL/.well-known/jwks.json, in the command that verifies
	// the receipt offline.
	PublicURL string
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the inbox's pages, its header badge and its live stream to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Notices == nil {
		return errors.New("inbox: Notices is required")
	}
	if cfg.StreamFor <= 0 {
		cfg.StreamFor = 45 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 10 * time.Second
	}
	if cfg.PageSize <= 0 || cfg.PageSize > defaultPageSize {
		cfg.PageSize = defaultPageSize
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /inbox", web.Citizen(a.list))
	s.Handle("GET /inbox/events", web.Citizen(a.events))
	s.Handle("GET /inbox/{ref}", web.Citizen(a.open))
	s.Handle("POST /inbox/{ref}/acknowledge", web.Form(web.Citizen(a.acknowledge)))
	s.Handle("GET /inbox/{ref}/acknowledge", web.Citizen(reopen))
	s.Handle("GET /inbox/{ref}/receipt.json", web.Download(a.receipt))
	s.Handle("GET /inbox/settings", web.Citizen(a.settings))
	s.Handle("POST /inbox/settings", web.Form(web.Citizen(a.saveSettings)))
	s.Handle("POST /inbox/settings/push/remove", web.Form(web.Citizen(a.removePush)))
	s.Handle("GET /inbox/settings/push/remove", web.Citizen(toSettings))
	s.Handle("POST /inbox/settings/push", web.Form(web.Citizen(a.subscribePush)))
	s.Handle("GET /inbox/sw.js", web.Public(serveWorker))
	s.Badge(web.Badge{ID: badgeID, Href: "/inbox", Key: "nav.inbox", Label: "inbox.badge.label", Live: "/inbox/events", Cap: notify.UnreadCap,
		Count: func(r *http.Request, sess *identity.Session) (int, error) {
			n, _, err := cfg.Notices.Unread(r.Context(), sess.Citizen.Ref())
			return n, err
		}})
	return nil
}

// badgeID is the header badge of the unread count.
const badgeID = "nav-inbox"

// reader is the session's citizen as the reader of a notice.
func reader(sess *identity.Session, lang string) notify.Reader {
	return notify.Reader{Subject: sess.Citizen.Ref(), IIN: sess.Citizen.IIN, Lang: lang, Method: string(sess.Method), Session: SessionRef(sess)}
}

// SessionRef names the session in a receipt without revealing anything that opens it:
// a hash of the session's anti-forgery token, which is random per session and fixed
// for its life.
func SessionRef(sess *identity.Session) string {
	sum := sha256.Sum256([]byte("senim/notify/session\x00" + sess.CSRF))
	return hex.EncodeToString(sum[:16])
}

// row is a notice in the list. Lang is the language of its title, which is not the
// page's where a sent notice has no text in it (an English page lists a kk+ru notice
// by its Russian title): the row says so, for screen readers and translators, as the
// notice's own page does.
type row struct {
	Ref, Title string
	Lang       string
	At         time.Time
	AtText     string
	Unread     bool
	Legal      bool
}

func rowOf(n *notify.Notice, lang string) row {
	c := n.Content(lang)
	title, tlang := c.Title, c.Lang
	if n.Significant && n.State != notify.StateRead {
		// The content opens only after the acknowledgement: until then the list names
		// the sender, not the subject.
		title, tlang = i18n.T(lang, "inbox.legal.from", n.Facts.SenderIn(lang)), lang
	}
	return row{Ref: n.Ref, Title: title, Lang: tlang, At: n.DeliveredAt, AtText: i18n.When(lang, n.DeliveredAt), Unread: n.State == notify.StateDelivered, Legal: n.Significant}
}

// defaultPageSize is Config.PageSize's default and bound.
const defaultPageSize = 500

// listData is a page of the inbox: its rows, newest first; Older names the last row
// when older notices follow (the next page starts after it); Before is the notice this
// page starts after ("" on the first page, which alone takes live rows).
type listData struct {
	Rows   []row
	Older  string
	Before string
}

func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	before := r.URL.Query().Get("before")
	list, more, err := a.cfg.Notices.InboxPage(r.Context(), sess.Citizen.Ref(), before, a.cfg.PageSize)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	d := listData{Rows: make([]row, 0, len(list)), Before: before}
	for i := range list {
		d.Rows = append(d.Rows, rowOf(&list[i], p.Lang))
	}
	if more && len(list) > 0 {
		d.Older = list[len(list)-1].Ref
	}
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, inboxV, p)
}

type noticeData struct {
	Ref      string
	Content  *notify.Content
	Legal    bool
	Receipt  bool
	Reworded bool // the content below is not what the receipt covers (notify.Opened)
	Sender   string
	Received string
	ReadBy   string // the read-by deadline, in Astana time, of a notice that has one
	Overdue  bool   // that deadline has passed
	// Deemed is when the policy deemed the notice delivered (issue 9: Austria and
	// Germany deem on the third day), in Astana time, where it did: the sender's status
	// says deemed_delivered from then, and the addressee is told so too.
	Deemed string
	Verify string // the command that verifies the receipt offline, where there is one
	Link   string // where in the cabinet the notice's subject is (a consent)
}

func (a *area) open(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.PageBeforeChange(w, r, sess)
	o, err := a.cfg.Notices.Open(r.Context(), reader(sess, p.Lang), r.PathValue("ref"))
	if err != nil {
		return err
	}
	p.Counted(badgeID, o.Unread) // counted after the read: the header's count changed
	a.s.Badges(r, p)
	return a.render(w, r, p, o, "")
}

func (a *area) render(w http.ResponseWriter, r *http.Request, p *web.Page, o *notify.Opened, notice string) error {
	d := noticeData{Ref: o.Notice.Ref, Content: o.Content, Legal: o.Notice.Significant, Receipt: o.Receipt != nil, Reworded: o.Reworded, Overdue: o.Overdue,
		Sender: o.Notice.Facts.SenderIn(p.Lang), Received: i18n.When(p.Lang, o.Notice.DeliveredAt), Link: o.Notice.Link()}
	if !o.Notice.ReadBy.IsZero() {
		d.ReadBy = i18n.When(p.Lang, o.Notice.ReadBy)
	}
	if !o.Notice.DeemedAt.IsZero() {
		d.Deemed = i18n.When(p.Lang, o.Notice.DeemedAt)
	}
	if o.Receipt != nil {
		d.Verify = "senim notify verify " + receiptFile(o.Receipt.ID) + " --jwks " + a.publicURL(r) + "/.well-known/jwks.json"
	}
	p.Data, p.Notice = d, notice
	if o.NeedsAcknowledgement {
		return a.s.Render(w, r, http.StatusOK, ackV, p)
	}
	return a.s.Render(w, r, http.StatusOK, noticeV, p)
}

// acknowledge is the acknowledgement screen's answer: the notice opens, in the page's
// language, and that content is what the receipt covers.
func (a *area) acknowledge(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.PageBeforeChange(w, r, sess)
	o, err := a.cfg.Notices.Acknowledge(r.Context(), reader(sess, p.Lang), r.PathValue("ref"))
	if err != nil {
		return err
	}
	p.Counted(badgeID, o.Unread) // counted after the read: the header's count changed
	a.s.Badges(r, p)
	return a.render(w, r, p, o, "inbox.acknowledged")
}

// reopen answers the address the acknowledgement's answer is shown at, opened again
// (a reload after a browser restart, the history, a bookmark): it sends the browser to
// the notice's own page — its content once acknowledged, else the acknowledgement
// screen. It never acknowledges: only the screen's button does (DC-2). Without it the
// citizen got an English problem+json "Method not allowed".
func reopen(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	http.Redirect(w, r, "/inbox/"+url.PathEscape(r.PathValue("ref")), http.StatusSeeOther)
	return nil
}

func (a *area) receipt(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	rc, err := a.cfg.Notices.Receipt(r.Context(), sess.Citizen.Ref(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+receiptFile(rc.ID)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(append(b, '\n'))
	return err
}

// receiptFile is the name a downloaded receipt is saved under, which the receipt
// page's verify command names.
func receiptFile(id string) string { return "senim-receipt-" + id + ".json" }

// publicURL is Senim's public URL without a trailing slash: Config.PublicURL, or the
// origin the request came to.
func (a *area) publicURL(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return strings.TrimRight(a.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// events streams "count" (the unread count) and "notice" (a newly delivered notice,
// as {ref, title, lang, at, unread, legal}: what the list's row shows) to the session's browser: at once, whenever a notice reaches
// this citizen in this process, and every Poll. The stream ends after StreamFor; the
// browser's EventSource reconnects.
func (a *area) events(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	ctx := r.Context()
	subject := sess.Citizen.Ref()
	lang := i18n.Negotiate(r, web.CookieLang, sess.Citizen.Lang)
	wake, stop := a.cfg.Notices.Subscribe(subject)
	defer stop()
	count, head, err := a.cfg.Notices.Unread(ctx, subject)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	send := func(event, data string) error {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil
	}
	if err := send("count", web.CountText(count, notify.UnreadCap)); err != nil {
		return nil // the browser went away
	}
	end := time.NewTimer(a.cfg.StreamFor)
	defer end.Stop()
	poll := time.NewTicker(a.cfg.Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end.C:
			return nil
		case <-wake:
		case <-poll.C:
		}
		fresh, err := a.cfg.Notices.Since(ctx, subject, head)
		if err != nil {
			return nil // the page keeps its last count; the browser reconnects
		}
		for i := range fresh {
			n := &fresh[i]
			head = max(head, n.Seq)
			rw := rowOf(n, lang)
			b, _ := json.Marshal(map[string]any{"ref": rw.Ref, "title": rw.Title, "lang": rw.Lang, "at": rw.AtText, "unread": rw.Unread, "legal": rw.Legal})
			if err := send("notice", string(b)); err != nil {
				return nil
			}
		}
		c, _, err := a.cfg.Notices.Unread(ctx, subject)
		if err != nil {
			return nil
		}
		if err := send("count", web.CountText(c, notify.UnreadCap)); err != nil {
			return nil
		}
	}
}

// settingsData is the channel preferences form.
type settingsData struct {
	SMS, Email, Push bool
	Address          string
	Devices          int
	VAPIDKey         string
}

func (a *area) settingsOf(ctx context.Context, subject string) (settingsData, error) {
	prefs, err := a.cfg.Notices.Prefs(ctx, subject)
	if err != nil {
		return settingsData{}, err
	}
	subs, err := a.cfg.Notices.PushSubscriptions(ctx, subject)
	if err != nil {
		return settingsData{}, err
	}
	return settingsData{SMS: prefs[notify.ChannelSMS].Enabled, Email: prefs[notify.ChannelEmail].Enabled, Address: prefs[notify.ChannelEmail].Address,
		Push: prefs[notify.ChannelPush].Enabled, Devices: len(subs), VAPIDKey: a.cfg.VAPIDKey}, nil
}

func (a *area) settings(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	d, err := a.settingsOf(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, prefsV, p)
}

// saveSettings records the citizen's channel choices. The e-mail address is checked
// first, so a wrong one changes nothing.
func (a *area) saveSettings(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	ctx, subject := r.Context(), sess.Citizen.Ref()
	d := settingsData{SMS: r.PostFormValue("sms") == "on", Email: r.PostFormValue("email") == "on", Push: r.PostFormValue("push") == "on",
		Address: r.PostFormValue("address")}
	old, err := a.settingsOf(ctx, subject)
	if err != nil {
		return err
	}
	d.Devices, d.VAPIDKey = old.Devices, old.VAPIDKey
	p := a.s.Page(w, r, sess)
	p.Data = d
	if err := a.cfg.Notices.SetPref(ctx, subject, notify.ChannelEmail, d.Email, d.Address); err != nil {
		return a.s.FormError(w, r, prefsV, p, err)
	}
	if err := a.cfg.Notices.SetPref(ctx, subject, notify.ChannelSMS, d.SMS, ""); err != nil {
		return err
	}
	if err := a.cfg.Notices.SetPref(ctx, subject, notify.ChannelPush, d.Push, ""); err != nil {
		return err
	}
	p.Notice = "inbox.settings.saved"
	return a.s.Render(w, r, http.StatusOK, prefsV, p)
}

// toSettings answers the address the answer of "turn off notifications in every
// browser" is shown at, opened again: the settings page (it removes nothing; only the
// form's button does).
func toSettings(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	http.Redirect(w, r, "/inbox/settings", http.StatusSeeOther)
	return nil
}

func (a *area) removePush(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if err := a.cfg.Notices.UnsubscribePush(r.Context(), sess.Citizen.Ref(), ""); err != nil {
		return err
	}
	d, err := a.settingsOf(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data, p.Notice = d, "inbox.settings.removed"
	return a.s.Render(w, r, http.StatusOK, prefsV, p)
}

// subscribePush records this browser's Web Push subscription, which the settings
// page's script posts (field "subscription": the PushSubscription's JSON) after the
// citizen allowed notifications. A malformed one is 422 and stores nothing.
func (a *area) subscribePush(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	var sub notify.PushSubscription
	raw := r.PostFormValue("subscription")
	if len(raw) > 4096 || json.Unmarshal([]byte(raw), &sub) != nil {
		return notify.ErrSubscription.WithDetail("not a push subscription")
	}
	if err := a.cfg.Notices.SubscribePush(r.Context(), sess.Citizen.Ref(), sub); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_, err := w.Write([]byte(`{"status":"subscribed"}` + "\n"))
	return err
}

// serveWorker serves the service worker that shows pushed notices.
func serveWorker(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(serviceWorker)
	return err
}
