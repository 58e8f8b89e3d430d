package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	qr "github.com/piglig/go-qr"

	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/mobilesign"
)

// Sign is the "sign this text" component shared by EDS login and every confirmation by
// signature. {{template "sign-text" .}} shows the exact text, {{template "sign-field" .}}
// the buttons "Sign with NCALayer" and "Sign with eGov Mobile" (a QR code on a
// desktop, a deep link on a phone) driven by the embedded script sign.js, and, behind
// "more options" (open in the sandbox), the field a signature can be pasted into.
// Whichever way, the signature reaches the form's "cms" field and the same endpoint,
// and SignedCMS reads it back. Areas fill a Sign with Shell.Signer.
type Sign struct {
	How     string // catalog key: how to sign by hand (the sandbox's command line)
	Heading string // catalog key of a heading above the text, or ""
	TextID  string // element id of the text
	Text    string // exactly what is signed
	// TextLang is the language of Text when it is not the page's (the consent text
	// of format v1 is English, so it is marked lang="en").
	TextLang string
	Label    string // catalog key of the field's label
	// Auth: the signature logs in (NCALayer is asked for an authentication key);
	// otherwise it is a signing one.
	Auth bool
	// TimeStamp asks NCALayer for a signature time-stamp (CAdES-T): what needs one
	// (an agreement confirmed with EDS) refuses a signature without it.
	TimeStamp bool
	// IIN, when set, is the only signer NCALayer is asked to offer and eGov Mobile's
	// result is accepted from.
	IIN string
	// Mobile is the URL the script POSTs the form to for an eGov Mobile QR code
	// (Shell.StartMobile answers it); "" offers no eGov Mobile.
	Mobile string
	// XML, when set, is Text as an XML document in canonical form, offered as a second
	// format: the person chooses CMS or XML (the form's "sign_format"); NCALayer is
	// asked for format "xml" and eGov Mobile for signMethod XML, and the signed
	// document reaches the "cms" field like a CMS (xmlsigned.IsXML tells them apart).
	XML string

	page      *Page
	ncalayer  string
	simulator bool // the sandbox's NCALayer simulator is at ncalayer
	phone     string
}

// B64 is the text in base64, as NCALayer takes it (the page's text node would lose a
// carriage return or a leading newline).
func (s Sign) B64() string { return base64.StdEncoding.EncodeToString([]byte(s.Text)) }

// XMLB64 is the XML document in base64 (the script decodes it as UTF-8).
func (s Sign) XMLB64() string { return base64.StdEncoding.EncodeToString([]byte(s.XML)) }

// Nonce is the page's script nonce (set when the page is rendered).
func (s Sign) Nonce() string {
	if s.page == nil {
		return ""
	}
	return s.page.Nonce
}

// Sandbox reports whether the page is the sandbox's: the paste field is then open.
func (s Sign) Sandbox() bool { return s.page != nil && s.page.Sandbox }

// NCALayer is the WebSocket URL the script tries.
func (s Sign) NCALayer() string { return s.ncalayer }

// NCAWindow is the page of the sandbox's NCALayer simulator where signing is confirmed:
// "" unless the sandbox runs its simulator (Config.NCALayer), since the port may be a
// real NCALayer's, or nobody's.
func (s Sign) NCAWindow() string {
	if !s.simulator {
		return ""
	}
	return "https://" + strings.TrimPrefix(s.ncalayer, "wss://") + "/"
}

// Phone is the sandbox's eGov Mobile page, or "".
func (s Sign) Phone() string { return s.phone }

// Signer prepares sg for page p: the page may run sign.js and connect to NCALayer (and
// to its own origin, for the eGov Mobile status).
func (s *Shell) Signer(p *Page, sg Sign) Sign {
	sg.page = p
	sg.ncalayer = s.cfg.NCALayer
	if sg.ncalayer == "" {
		sg.ncalayer = NCALayer
	}
	if s.cfg.Mobile == nil {
		sg.Mobile = ""
	}
	if p.Sandbox {
		sg.phone = s.cfg.SandboxPhone
		sg.simulator = s.cfg.NCALayer != ""
	}
	p.Need(Needs{Script: true, Connect: []string{"'self'", sg.ncalayer}})
	return sg
}

// SignedCMS returns the signature in the form's "cms" field as DER when it is PEM or
// base64; what does not decode is passed on as it is, for the verifier to refuse with
// its own code.
func SignedCMS(r *http.Request) []byte {
	b := []byte(r.PostFormValue("cms"))
	if der, err := edslogin.DecodeCMS(b); err == nil {
		return der
	}
	return b
}

// signMessages are the messages sign.js shows, rendered into the page in its language.
var signMessages = []string{"sign.nca.connecting", "sign.nca.absent", "sign.nca.choose", "sign.nca.cancelled",
	"sign.nca.wrong_key", "sign.nca.failed", "sign.mobile.starting", "sign.mobile.waiting", "sign.mobile.opened",
	"sign.mobile.expired", "sign.mobile.failed", "sign.sending", "error.mobilesign.link_gone", "error.mobilesign.link_used",
	"error.mobilesign.malformed", "error.mobilesign.tampered", "error.mobilesign.invalid", "error.mobilesign.wrong_signer"}

// MobileSigner is eGov Mobile signing as mobilesign offers it.
type MobileSigner interface {
	Start(ctx context.Context, base string, req mobilesign.Request) (*mobilesign.Started, error)
	Watch(ctx context.Context, watch string) (mobilesign.Status, error)
	Take(ctx context.Context, watch string) ([]byte, error)
}

// Deep links that open a mobileSign: link in the eGov Mobile apps on a phone (citizen
// and business), as published for integrators; the link goes in the query.
const (
	deepLinkCitizen  = "https://mgovsign.page.link/?link=%s&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov"
	deepLinkBusiness = "https://egovbusiness.page.link/?link=%s&isi=1597880144&ibi=kz.mobile.mgov.business&apn=kz.mobile.mgov.business"
)

// mobileStarted is the script's answer to "sign with eGov Mobile".
type mobileStarted struct {
	Link     string   `json:"link"` // mobileSign:https://…
	Citizen  string   `json:"citizen"`
	Business string   `json:"business"`
	Phone    string   `json:"phone,omitempty"` // the sandbox's phone page with the link
	Events   string   `json:"events"`
	Expires  int64    `json:"expires"` // Unix seconds
	QR       []string `json:"qr"`      // rows of the QR code, '1' dark
}

// StartMobile answers the script's POST for an eGov Mobile signature of text:
// description (a catalog key) says what it is; iin, when set, is the only signer
// accepted; attach asks for CMS_WITH_DATA.
func (s *Shell) StartMobile(w http.ResponseWriter, r *http.Request, text, description, iin string, attach bool) error {
	method := mobilesign.CMSSignOnly
	if attach {
		method = mobilesign.CMSWithData
	}
	return s.StartMobileAs(w, r, []byte(text), method, description, iin)
}

// StartMobileAs is StartMobile with the document and the sign method of API-2 given
// (mobilesign.XML for a Sign's XML document).
func (s *Shell) StartMobileAs(w http.ResponseWriter, r *http.Request, doc []byte, method, description, iin string) error {
	if s.cfg.Mobile == nil {
		return fmt.Errorf("web: eGov Mobile signing is not configured")
	}
	desc := map[string]string{}
	for _, l := range []string{"kk", "ru", "en"} {
		desc[l] = i18n.T(l, description)
	}
	st, err := s.cfg.Mobile.Start(r.Context(), mobilesign.BaseOf(r), mobilesign.Request{Document: doc, Method: method, Description: desc, ExpectIIN: iin})
	if err != nil {
		return err
	}
	link := "mobileSign:" + st.Link
	code, err := qr.EncodeText(link, qr.Medium)
	if err != nil {
		return err
	}
	rows := make([]string, code.Size())
	for y := range rows {
		var b strings.Builder
		for x := 0; x < code.Size(); x++ {
			if code.Module(x, y) {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		rows[y] = b.String()
	}
	out := mobileStarted{Link: link, Citizen: fmt.Sprintf(deepLinkCitizen, url.QueryEscape(st.Link)),
		Business: fmt.Sprintf(deepLinkBusiness, url.QueryEscape(st.Link)),
		Events:   "/sign/mobile/" + st.Watch + "/events", Expires: st.ExpiresAt.Unix(), QR: rows}
	if s.cfg.Sandbox && s.cfg.SandboxPhone != "" {
		out.Phone = s.cfg.SandboxPhone + "?link=" + url.QueryEscape(link)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}

// mobileEvents streams the status of an eGov Mobile request to the page that holds its
// watch token (Server-Sent Events): "state" while waiting, "refused" with the code of
// a refused signature, "signed" with the signature in base64 (once), "gone" when the
// link expired or was used up.
func (s *Shell) mobileEvents(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	rc := http.NewResponseController(w)
	watch := r.PathValue("watch")
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	send := func(event, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
		rc.Flush()
	}
	last := ""
	tick := time.NewTicker(s.mobilePoll())
	defer tick.Stop()
	for {
		st, err := s.cfg.Mobile.Watch(r.Context(), watch)
		if err != nil {
			return nil // the client reconnects
		}
		switch st.State {
		case mobilesign.StateSigned:
			der, err := s.cfg.Mobile.Take(r.Context(), watch)
			if err != nil {
				send("gone", "")
				return nil
			}
			send("signed", base64.StdEncoding.EncodeToString(der))
			return nil
		case mobilesign.StateGone, mobilesign.StateTaken:
			send("gone", "")
			return nil
		}
		if now := st.State + "/" + st.Refusal; now != last {
			last = now
			if st.Refusal != "" {
				send("refused", st.Refusal)
			} else {
				send("state", st.State)
			}
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Shell) mobilePoll() time.Duration {
	if s.cfg.MobilePoll > 0 {
		return s.cfg.MobilePoll
	}
	return 500 * time.Millisecond
}
