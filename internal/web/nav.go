package web

import (
	"net/http"
	"strconv"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
)

// Where a navigation link shows.
const (
	NavMain   = iota // the main menu, for a logged-in citizen
	NavFooter        // the footer, for everyone
)

// NavItem is a link an area adds to the layout's navigation.
type NavItem struct {
	Place int
	Href  string
	ID    string // the element id
	Key   string // the catalog key of the text
	// Show, when set, decides per page whether the link shows (e.g. only for staff).
	Show func(*Page) bool
}

// NavLink is a navigation link as a template sees it.
type NavLink struct{ Href, ID, Key string }

// Nav adds a link to the navigation, after those added before it.
func (s *Shell) Nav(it NavItem) { s.nav = append(s.nav, it) }

// StaffOnly is a NavItem.Show for links to staff pages.
func StaffOnly(p *Page) bool { return p.Staff }

func (s *Shell) navFor(p *Page) {
	for _, it := range s.nav {
		if it.Show != nil && !it.Show(p) {
			continue
		}
		l := NavLink{Href: it.Href, ID: it.ID, Key: it.Key}
		switch it.Place {
		case NavMain:
			p.Nav = append(p.Nav, l)
		case NavFooter:
			p.Footer = append(p.Footer, l)
		}
	}
}

// HomeSection is a section an area adds to a citizen's home page; it returns nil when
// it has nothing for this citizen.
type HomeSection func(r *http.Request, p *Page) *Section

// Section is a titled list of links on the home page; texts are already translated.
type Section struct {
	ID           string
	Title, Intro string
	Links        []Link
}

// Link is a link of a Section.
type Link struct {
	Href, ID, Text string
	Download       bool
}

// Home adds a section to the home page, after those added before it.
func (s *Shell) Home(sec HomeSection) { s.home = append(s.home, sec) }

func (s *Shell) homePage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := s.Page(w, r, sess)
	var secs []*Section
	for _, h := range s.home {
		if sec := h(r, p); sec != nil {
			secs = append(secs, sec)
		}
	}
	p.Data = secs
	return s.Render(w, r, http.StatusOK, homeView, p)
}

// Badge is a count an area shows in the header of every page of a logged-in citizen
// (the inbox's unread notices), linking to its page. Live, when set, is the path of a
// Server-Sent Events stream of "count" events (the new count as data) under the same
// guard; the layout then keeps the number current with a nonce'd script, and every
// page with a session allows that script and connections to its own origin.
type Badge struct {
	ID   string // the link's element id; the number's is ID + "-count"
	Href string
	Key  string // the catalog key of the label
	// Label is the catalog key of the words a screen reader says for the count, with
	// one %s for the count as shown ("Unread notices: %s"); without it the bare
	// number is announced.
	Label string
	Live  string
	// Count returns the number for this citizen; an error hides the badge (and is
	// logged), never the page.
	Count func(r *http.Request, sess *identity.Session) (int, error)
	// Cap, when not 0, is the most Count counts: a count of Cap means "at least Cap"
	// and shows as Cap−1 and a plus ("99+" for 100).
	Cap int
}

// BadgeLink is a badge as a template sees it: Text is the count as shown.
type BadgeLink struct {
	ID, Href, Key, Live, Text string
	// Label is what a screen reader says for the count (Badge.Label with Text in
	// it), LabelPattern the same with %s for the count, for live updates; both ""
	// for a badge without Badge.Label.
	Label, LabelPattern string
}

// CountText is how a badge shows count n under cap (0: no cap): "7", or "99+" once n
// reaches a cap of 100. Live updates of a badge use it too.
func CountText(n, cap int) string {
	if cap > 0 && n >= cap {
		return strconv.Itoa(cap-1) + "+"
	}
	return strconv.Itoa(n)
}

// Badge adds a badge to the header, after those added before it.
func (s *Shell) Badge(b Badge) { s.badges = append(s.badges, b) }

func (s *Shell) badgesFor(r *http.Request, p *Page) {
	if p.Session == nil {
		return
	}
	for _, b := range s.badges {
		n, known := p.counted[b.ID]
		var err error
		if !known {
			n, err = b.Count(r, p.Session)
		}
		if err != nil {
			s.cfg.Logger.WarnContext(r.Context(), "web: header badge", "badge", b.ID, "error", err)
			continue
		}
		bl := BadgeLink{ID: b.ID, Href: b.Href, Key: b.Key, Live: b.Live, Text: CountText(n, b.Cap)}
		if b.Label != "" {
			bl.Label, bl.LabelPattern = p.T(b.Label, bl.Text), p.T(b.Label, "%s")
		}
		p.Badges = append(p.Badges, bl)
		if b.Live != "" {
			p.Live = true
			p.Need(Needs{Script: true, Connect: []string{"'self'"}})
		}
	}
}

// Counted gives the header badge id the count n that the handler already has (read
// with what it shows, after its change), so that Badges does not count it again.
func (p *Page) Counted(id string, n int) {
	if p.counted == nil {
		p.counted = map[string]int{}
	}
	p.counted[id] = n
}

// T translates key into the page's language.
func (p *Page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }
