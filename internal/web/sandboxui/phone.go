package sandboxui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web"
)

// PhonePath is the sandbox's eGov Mobile: a page that plays the phone.
const PhonePath = "/sandbox/egov-mobile"

var phoneView = views.Add("phone", "sandbox.phone.title")

// Problems of the phone page.
var (
	errPhoneLink = problem.New(http.StatusBadRequest, "sandbox.phone.link", "This is not a mobileSign: link of this Senim")
	errPhoneAPI  = problem.New(http.StatusBadGateway, "sandbox.phone.api", "Senim's signing API did not answer as expected")
)

type phoneData struct {
	Link     string
	Info     *phoneInfo // after API-1
	Signers  []sandbox.DemoSigner
	Signed   bool   // the PUT was accepted
	Refusal  string // catalog key of a refused PUT
	Document string // the text to sign, after API-2
}

type phoneInfo struct {
	Description string    `json:"description"`
	ExpiryDate  time.Time `json:"expiry_date"`
	Org         struct {
		NameRu string `json:"nameRu"`
		NameKz string `json:"nameKz"`
		NameEn string `json:"nameEn"`
		BIN    string `json:"bin"`
	} `json:"organisation"`
	Document struct {
		URI       string `json:"uri"`
		AuthType  string `json:"auth_type"`
		AuthToken string `json:"auth_token"`
	} `json:"document"`
}

// phoneClient calls Senim's API as the phone does.
var phoneClient = &http.Client{Timeout: 15 * time.Second}

func (u *UI) phonePage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := u.s.Page(w, r, sess)
	p.CSRF = csrfFor(u.s, w, r, sess)
	d := phoneData{Link: strings.TrimSpace(r.URL.Query().Get("link")), Signers: u.cfg.Signers()}
	p.Data = &d
	if d.Link == "" {
		return u.s.Render(w, r, http.StatusOK, phoneView, p)
	}
	// API-1: read the link (once: the link is used up by reading it).
	url, err := phoneURL(r, d.Link)
	if err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	var info phoneInfo
	if err := phoneCall(r.Context(), http.MethodGet, url, "", nil, &info, p.Lang); err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	// API-2: what to sign (shown before the citizen chooses to sign).
	var docs mobilesign.Documents
	if err := phoneCall(r.Context(), http.MethodGet, info.Document.URI, info.Document.AuthToken, nil, &docs, p.Lang); err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	text, err := phoneDocument(&docs)
	if err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	d.Info, d.Document = &info, string(text)
	return u.s.Render(w, r, http.StatusOK, phoneView, p)
}

// phoneSign signs the document with the chosen demo signer's key and PUTs it, as the
// app does after the citizen confirms.
func (u *UI) phoneSign(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := u.s.Page(w, r, sess)
	p.CSRF = csrfFor(u.s, w, r, sess)
	d := phoneData{Signers: u.cfg.Signers()}
	p.Data = &d
	uri, token := r.PostFormValue("uri"), r.PostFormValue("token")
	if _, err := phoneURL(r, "mobileSign:"+strings.TrimSuffix(uri, "/document")); err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	var docs mobilesign.Documents
	if err := phoneCall(r.Context(), http.MethodGet, uri, token, nil, &docs, p.Lang); err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	doc, err := phoneDocument(&docs)
	if err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	if docs.SignMethod == mobilesign.XML {
		if u.cfg.SignXML == nil {
			return u.s.FormError(w, r, phoneView, p, errPhoneAPI)
		}
		signed, err := u.cfg.SignXML(r.Context(), r.PostFormValue("signer"), doc)
		if err != nil {
			return u.s.FormError(w, r, phoneView, p, err)
		}
		docs.DocumentsToSign[0].DocumentXML = string(signed)
	} else {
		der, err := u.cfg.SignCMS(r.Context(), r.PostFormValue("signer"), doc, docs.SignMethod == mobilesign.CMSWithData)
		if err != nil {
			return u.s.FormError(w, r, phoneView, p, err)
		}
		docs.DocumentsToSign[0].Document.File = mobilesign.File{Mime: "application/pkcs7-signature", Data: base64.StdEncoding.EncodeToString(der)}
	}
	body, _ := json.Marshal(docs)
	if err := phoneCall(r.Context(), http.MethodPut, uri, token, body, nil, p.Lang); err != nil {
		return u.s.FormError(w, r, phoneView, p, err)
	}
	d.Signed = true
	p.Notice = "sandbox.phone.signed"
	return u.s.Render(w, r, http.StatusOK, phoneView, p)
}

// phoneDocument is the one document API-2 gave: the XML itself for signMethod XML,
// else the bytes in base64.
func phoneDocument(docs *mobilesign.Documents) ([]byte, error) {
	if len(docs.DocumentsToSign) != 1 {
		return nil, errPhoneAPI
	}
	if docs.SignMethod == mobilesign.XML {
		if docs.DocumentsToSign[0].DocumentXML == "" {
			return nil, errPhoneAPI
		}
		return []byte(docs.DocumentsToSign[0].DocumentXML), nil
	}
	b, err := base64.StdEncoding.DecodeString(docs.DocumentsToSign[0].Document.File.Data)
	if err != nil {
		return nil, errPhoneAPI
	}
	return b, nil
}

// csrfFor is the phone form's token: the page is Public (the phone has no cabinet
// session), so the double-submit cookie's even when a session is open in the browser.
func csrfFor(s *web.Shell, w http.ResponseWriter, r *http.Request, _ *identity.Session) string {
	return s.LoginCSRF(w, r)
}

// phoneURL accepts only a mobileSign: link to this Senim's API, so the page never
// fetches anything else.
func phoneURL(r *http.Request, link string) (string, error) {
	rest, ok := strings.CutPrefix(link, "mobileSign:")
	prefix := mobilesign.BaseOf(r) + "/mobile-sign/"
	if !ok || !strings.HasPrefix(rest, prefix) || strings.ContainsAny(rest[len(prefix):], "?#") {
		return "", errPhoneLink
	}
	return rest, nil
}

// phoneCall makes one call of the phone's API; a problem answer comes back as the
// problem (its code names the catalog message).
func phoneCall(ctx context.Context, method, url, token string, body []byte, out any, lang string) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return errPhoneLink
	}
	req.Header.Set("Accept-Language", lang)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := phoneClient.Do(req)
	if err != nil {
		return errPhoneAPI.WithCause(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		var pr struct {
			Code  string `json:"code"`
			Title string `json:"title"`
		}
		if json.Unmarshal(b, &pr) == nil && pr.Code != "" {
			return problem.New(res.StatusCode, pr.Code, pr.Title)
		}
		return errPhoneAPI.WithDetail(fmt.Sprint(res.StatusCode))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return errPhoneAPI.WithCause(err)
		}
	}
	return nil
}
