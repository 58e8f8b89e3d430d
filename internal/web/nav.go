package web

import (
	"net/http"

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

// T translates key into the page's language.
func (p *Page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }
