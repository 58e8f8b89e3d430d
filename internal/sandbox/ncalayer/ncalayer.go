// Package ncalayer is the sandbox's NCALayer: a WebSocket server on a loopback port,
// over TLS with a certificate from the sandbox CA, that speaks NCALayer's protocol and
// signs with the sandbox's demo keys — after the person at the keyboard confirms on
// its page (https://127.0.0.1:PORT/), as NCALayer asks in its own window. It is
// SANDBOX only: `senim sandbox ncalayer`, or started by `serve --sandbox` when the
// port is free; production never runs it.
//
// Protocol (what sites send to NCALayer): on connecting the server says
// {"result":{"version":"1.4"}}. Module kz.gov.pki.knca.basics, method "sign" takes
// named arguments (allowedStorages, format "cms", data in base64, signingParams
// {decode, encapsulate, digested}, signerParams {iin, bin, extKeyUsageOids}, locale)
// and answers {status:true, body:{result:[cms]}} or {status:false, code, message};
// with format "xml" data is the XML document itself and the result is the document
// with an enveloped XML-DSig signature. Module kz.gov.pki.knca.commonUtils takes
// positional arguments — createCAdESFromBase64 [storage, keyType, data, attach],
// signXml [storage, keyType, xml, "", ""], getActiveTokens, getVersion — and answers
// {code:"200", responseObject} or {code:"500", message}.
// Requests without a module are the legacy applet's and are refused.
package ncalayer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/sandbox"
)

// Version is what the simulator reports, as NCALayer 1.4 does.
const Version = "1.4"

// Signers is what the simulator needs from the sandbox: the demo signers and their
// signatures.
type Signers interface {
	Signers() []sandbox.DemoSigner
	SignCMS(ctx context.Context, ref string, data []byte, attach bool) ([]byte, error)
	SignXML(ctx context.Context, ref string, doc []byte) ([]byte, error)
}

// TimeStampingSigners also sign with a signature time-stamp (CAdES-T), for requests
// with signingParams.tsaProfile; without it such requests are signed without one.
type TimeStampingSigners interface {
	SignCMSTimeStamped(ctx context.Context, ref string, data []byte, attach bool) ([]byte, error)
}

// Simulator serves the WebSocket and the confirmation page.
type Simulator struct {
	Keys Signers
	// Wait bounds how long a request waits for the person; 2 minutes.
	Wait time.Duration

	mu      sync.Mutex
	pending map[string]*request
}

// request is a signing request waiting for the person's decision.
type request struct {
	ID     string
	Data   []byte
	Attach bool
	XML    bool   // an XML document signed in XML-DSig, not a CMS
	IIN    string // only signers with this IIN are offered ("" = any)
	Auth   bool
	Locale string
	Origin string
	// TimeStamp: the site asked for a signature time-stamp (tsaProfile).
	TimeStamp bool
	decided   chan decision
}

type decision struct {
	ref    string // "" = cancelled
	cancel bool
}

// Handler serves the WebSocket (any path, with an Upgrade) and the confirmation page.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			s.serveWS(w, r)
			return
		}
		s.page(w, r, "")
	})
	mux.HandleFunc("POST /confirm", s.confirm)
	return mux
}

func (s *Simulator) wait() time.Duration {
	if s.Wait > 0 {
		return s.Wait
	}
	return 2 * time.Minute
}

// message is a request from a site: module and method, with named (basics) or
// positional (commonUtils) arguments.
type message struct {
	Module string          `json:"module"`
	Method string          `json:"method"`
	Args   json.RawMessage `json:"args"`
}

type basicsArgs struct {
	AllowedStorages []string `json:"allowedStorages"`
	Format          string   `json:"format"`
	Data            any      `json:"data"`
	SigningParams   struct {
		Decode      any `json:"decode"`
		Encapsulate any `json:"encapsulate"`
		Digested    any `json:"digested"`
		// TSAProfile, when present, asks for a signature time-stamp (CAdES-T), as
		// NCALayer then gets from the NCA's TSA.
		TSAProfile json.RawMessage `json:"tsaProfile"`
	} `json:"signingParams"`
	SignerParams struct {
		IIN             string   `json:"iin"`
		BIN             string   `json:"bin"`
		ExtKeyUsageOids []string `json:"extKeyUsageOids"`
	} `json:"signerParams"`
	Locale string `json:"locale"`
}

// truthy reads NCALayer's booleans, which sites send as true or "true".
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

func (s *Simulator) serveWS(w http.ResponseWriter, r *http.Request) {
	// NCALayer accepts pages of any origin: it is the person's own application and
	// asks them before signing anything.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(4 << 20)
	ctx := r.Context()
	if err := writeJSON(ctx, c, map[string]any{"result": map[string]string{"version": Version}}); err != nil {
		return
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			continue // heartbeats and noise
		}
		if err := writeJSON(ctx, c, s.handle(ctx, r.Header.Get("Origin"), m)); err != nil {
			return
		}
	}
}

func writeJSON(ctx context.Context, c *websocket.Conn, v any) error {
	b, _ := json.Marshal(v)
	return c.Write(ctx, websocket.MessageText, b)
}

// handle answers one request in its module's form.
func (s *Simulator) handle(ctx context.Context, origin string, m message) any {
	switch m.Module {
	case "kz.gov.pki.knca.basics":
		if m.Method != "sign" {
			return basicsError("METHOD_NOT_FOUND", "unknown method")
		}
		var a basicsArgs
		if err := json.Unmarshal(m.Args, &a); err != nil {
			return basicsError("BAD_REQUEST", "arguments are not an object")
		}
		if a.Format != "cms" && a.Format != "xml" {
			return basicsError("FORMAT_UNSUPPORTED", "the sandbox NCALayer signs cms and xml")
		}
		if a.SigningParams.Digested != nil && truthy(a.SigningParams.Digested) {
			return basicsError("FORMAT_UNSUPPORTED", "signing a digest is not simulated")
		}
		data, ok := a.Data.(string)
		if !ok {
			return basicsError("BAD_REQUEST", "data must be one string")
		}
		req := &request{XML: a.Format == "xml", Data: []byte(data), IIN: a.SignerParams.IIN, Locale: a.Locale, Origin: origin}
		if !req.XML {
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return basicsError("BAD_REQUEST", "data is not base64")
			}
			if a.SigningParams.Decode == nil || truthy(a.SigningParams.Decode) {
				req.Data = raw // else the base64 text itself is signed
			}
			req.Attach = a.SigningParams.Encapsulate == nil || truthy(a.SigningParams.Encapsulate)
		}
		req.TimeStamp = !req.XML && len(a.SigningParams.TSAProfile) > 0 && string(a.SigningParams.TSAProfile) != "null"
		cms, err := s.ask(ctx, req)
		switch {
		case errors.Is(err, errCancelled):
			return basicsError("canceledByUser", "the user cancelled")
		case errors.Is(err, errNoKey):
			return basicsError("WRONG_KEY", "no key of the requested signer")
		case err != nil:
			return basicsError("INTERNAL_ERROR", err.Error())
		}
		return map[string]any{"status": true, "body": map[string]any{"result": []string{cms}}}
	case "kz.gov.pki.knca.commonUtils":
		var args []any
		json.Unmarshal(m.Args, &args)
		switch m.Method {
		case "getVersion":
			return map[string]any{"code": "200", "responseObject": map[string]string{"version": Version}}
		case "getActiveTokens":
			return map[string]any{"code": "200", "responseObject": []string{}}
		case "createCAdESFromBase64":
			if len(args) < 4 {
				return commonError("arguments: storage, keyType, data, attach")
			}
			data, _ := args[2].(string)
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil || data == "" {
				return commonError("data is not base64")
			}
			keyType, _ := args[1].(string)
			attach, _ := args[3].(bool)
			cms, err := s.ask(ctx, &request{Data: raw, Attach: attach, Auth: keyType == "AUTHENTICATION", Origin: origin})
			switch {
			case errors.Is(err, errCancelled):
				return map[string]any{"code": "500", "message": "action.canceled"}
			case err != nil:
				return commonError(err.Error())
			}
			return map[string]any{"code": "200", "responseObject": cms}
		case "signXml":
			if len(args) < 3 {
				return commonError("arguments: storage, keyType, xml, \"\", \"\"")
			}
			doc, _ := args[2].(string)
			if doc == "" {
				return commonError("xml is empty")
			}
			keyType, _ := args[1].(string)
			signed, err := s.ask(ctx, &request{Data: []byte(doc), XML: true, Auth: keyType == "AUTHENTICATION", Origin: origin})
			switch {
			case errors.Is(err, errCancelled):
				return map[string]any{"code": "500", "message": "action.canceled"}
			case err != nil:
				return commonError(err.Error())
			}
			return map[string]any{"code": "200", "responseObject": signed}
		}
		return commonError("unknown method")
	}
	return commonError("module not supported by the sandbox NCALayer")
}

func basicsError(code, msg string) any {
	return map[string]any{"status": false, "code": code, "message": msg, "details": ""}
}

func commonError(msg string) any { return map[string]any{"code": "500", "message": msg} }

var (
	errCancelled = errors.New("cancelled")
	errNoKey     = errors.New("no key")
)

// ask puts the request on the confirmation page and waits for the person; the answer
// is a CMS in base64, or the signed XML document.
func (s *Simulator) ask(ctx context.Context, req *request) (string, error) {
	var b [8]byte
	rand.Read(b[:])
	req.ID = hex.EncodeToString(b[:])
	req.decided = make(chan decision, 1)
	if req.IIN != "" && !slices.ContainsFunc(s.Keys.Signers(), func(d sandbox.DemoSigner) bool { return d.IIN == req.IIN }) {
		return "", errNoKey
	}
	s.mu.Lock()
	if s.pending == nil {
		s.pending = map[string]*request{}
	}
	s.pending[req.ID] = req
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, req.ID)
		s.mu.Unlock()
	}()
	t := time.NewTimer(s.wait())
	defer t.Stop()
	var d decision
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", errCancelled
	case d = <-req.decided:
	}
	if d.cancel {
		return "", errCancelled
	}
	if req.XML {
		signed, err := s.Keys.SignXML(ctx, d.ref, req.Data)
		if err != nil {
			return "", err
		}
		return string(signed), nil
	}
	var der []byte
	var err error
	if ts, ok := s.Keys.(TimeStampingSigners); ok && req.TimeStamp {
		der, err = ts.SignCMSTimeStamped(ctx, d.ref, req.Data, req.Attach)
	} else {
		der, err = s.Keys.SignCMS(ctx, d.ref, req.Data, req.Attach)
	}
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// confirm takes the person's decision on a pending request.
func (s *Simulator) confirm(w http.ResponseWriter, r *http.Request) {
	// The page is same-origin with the simulator; refuse cross-site posts.
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		http.Error(w, "cross-site", http.StatusForbidden)
		return
	}
	id, ref := r.PostFormValue("id"), r.PostFormValue("signer")
	s.mu.Lock()
	req, ok := s.pending[id]
	s.mu.Unlock()
	if !ok {
		s.page(w, r, "ncalayer.sim.gone")
		return
	}
	d := decision{cancel: r.PostFormValue("decision") == "cancel", ref: ref}
	if !d.cancel && !slices.ContainsFunc(s.offered(req), func(x sandbox.DemoSigner) bool { return x.Ref == ref }) {
		s.page(w, r, "ncalayer.sim.pick")
		return
	}
	select {
	case req.decided <- d:
	default:
	}
	s.page(w, r, map[bool]string{true: "ncalayer.sim.cancelled", false: "ncalayer.sim.signed"}[d.cancel])
}

// offered are the keys the person may choose for req.
func (s *Simulator) offered(req *request) []sandbox.DemoSigner {
	var out []sandbox.DemoSigner
	for _, d := range s.Keys.Signers() {
		if req.IIN == "" || d.IIN == req.IIN {
			out = append(out, d)
		}
	}
	return out
}

type pageRequest struct {
	ID, Origin, Text string
	Signers          []sandbox.DemoSigner
}

func (s *Simulator) page(w http.ResponseWriter, r *http.Request, notice string) {
	lang := i18n.Negotiate(r, "", "")
	s.mu.Lock()
	var reqs []pageRequest
	for _, q := range s.pending {
		lang = pick(q.Locale, lang)
		reqs = append(reqs, pageRequest{ID: q.ID, Origin: q.Origin, Text: string(q.Data), Signers: s.offered(q)})
	}
	s.mu.Unlock()
	slices.SortFunc(reqs, func(a, b pageRequest) int { return strings.Compare(a.ID, b.ID) })
	t := template.Must(template.New("p").Funcs(template.FuncMap{"t": func(k string, a ...any) string { return i18n.T(lang, k, a...) }}).Parse(pageHTML))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	t.Execute(w, map[string]any{"Lang": lang, "Requests": reqs, "Notice": notice})
}

func pick(locale, fallback string) string {
	if i18n.Supported(locale) {
		return locale
	}
	return fallback
}

const pageHTML = `<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{t "ncalayer.sim.title"}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1rem;max-width:40rem}.sandbox{background:#ffdd00;padding:.5rem;font-weight:bold}pre{white-space:pre-wrap;word-break:break-word;background:#f3f2f1;padding:.5rem}select,button{font:inherit;margin:.25rem 0;max-width:100%}</style>
</head><body>
<p class="sandbox" id="sandbox-banner">{{t "ncalayer.sim.banner"}}</p>
<h1>{{t "ncalayer.sim.title"}}</h1>
{{with .Notice}}<p role="status" id="notice">{{t .}}</p>{{end}}
{{range .Requests}}<form method="post" action="/confirm" class="request" id="request-{{.ID}}">
<input type="hidden" name="id" value="{{.ID}}">
<p>{{t "ncalayer.sim.asks" .Origin}}</p>
<pre>{{.Text}}</pre>
<label for="signer-{{.ID}}">{{t "ncalayer.sim.key"}}</label><br>
<select id="signer-{{.ID}}" name="signer">{{range .Signers}}<option value="{{.Ref}}">{{.Name}} · {{.IIN}}{{if .OrgBIN}} · {{.OrgBIN}}{{end}}</option>{{end}}</select><br>
<button type="submit" name="decision" value="sign" id="sign-{{.ID}}">{{t "ncalayer.sim.sign"}}</button>
<button type="submit" name="decision" value="cancel" id="cancel-{{.ID}}">{{t "ncalayer.sim.cancel"}}</button>
</form>{{else}}<p id="none">{{t "ncalayer.sim.none"}}</p>{{end}}
</body></html>`

// Listen serves the simulator over TLS with cert on addr (a loopback address such as
// 127.0.0.1:13579) until ctx ends, and returns its WebSocket URL.
func (s *Simulator) Listen(ctx context.Context, addr string, cert *tls.Certificate) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", errors.New("ncalayer: the simulator listens on a loopback address only")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "")
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "wss://" + ln.Addr().String(), nil
}
