package ca

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/senimkz/senim/internal/problem"
)

// Prefix is the path under which Register and Handler mount the CA's endpoints.
const Prefix = "/sandbox/ca"

// Register mounts the CA's endpoints (see the package documentation) with handle, e.g.
// mux.Handle. Patterns carry their method ("GET /sandbox/ca/crl/{file}").
func (c *CA) Register(handle func(pattern string, h http.Handler)) {
	handle("GET "+Prefix+"/{$}", http.HandlerFunc(c.serveIndex))
	handle("GET "+Prefix+"/cert/{file}", http.HandlerFunc(c.serveCert))
	handle("GET "+Prefix+"/crl/{file}", http.HandlerFunc(c.serveCRL))
	handle("POST "+Prefix+"/ocsp", http.HandlerFunc(c.serveOCSPPost))
	handle("POST "+Prefix+"/ocsp/{$}", http.HandlerFunc(c.serveOCSPPost))
	handle("GET "+Prefix+"/ocsp/{req...}", http.HandlerFunc(c.serveOCSPGet))
	if len(c.cfg.Algorithms) > 0 {
		handle("POST "+Prefix+"/tsa", c.tsas[c.cfg.Algorithms[0]].handler)
	}
	for _, a := range c.cfg.Algorithms {
		handle("POST "+Prefix+"/tsa/"+string(a), c.tsas[a].handler)
	}
}

// Handler returns a handler serving only the CA's endpoints, under Prefix.
func (c *CA) Handler() http.Handler {
	mux := http.NewServeMux()
	c.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	return mux
}

type indexEntry struct {
	Name      string    `json:"name"`
	Algorithm Algorithm `json:"algorithm"`
	Root      bool      `json:"root"`
	Subject   string    `json:"subject"`
	NotBefore string    `json:"not_before"`
	NotAfter  string    `json:"not_after"`
	Cert      string    `json:"certificate_url"`
	CRL       string    `json:"crl_url"`
}

func (c *CA) serveIndex(w http.ResponseWriter, r *http.Request) {
	var idx struct {
		Notice      string       `json:"notice"`
		OCSP        string       `json:"ocsp_url"`
		TSA         []string     `json:"tsa_urls"`
		Authorities []indexEntry `json:"authorities"`
	}
	idx.Notice = "SANDBOX certification authority - NOT FOR PRODUCTION: never trust these certificates outside a sandbox"
	idx.OCSP = c.OCSPURL()
	idx.TSA = append(idx.TSA, c.url("/tsa"))
	for _, a := range c.cfg.Algorithms {
		idx.TSA = append(idx.TSA, c.url("/tsa/"+string(a)))
	}
	for _, a := range c.Authorities() {
		idx.Authorities = append(idx.Authorities, indexEntry{
			Name: a.Name, Algorithm: a.Algorithm, Root: a.Root, Subject: a.Certificate.Subject.String(),
			NotBefore: a.Certificate.NotBefore.UTC().Format("2006-01-02T15:04:05Z"),
			NotAfter:  a.Certificate.NotAfter.UTC().Format("2006-01-02T15:04:05Z"),
			Cert:      a.CertURL, CRL: a.CRLURL,
		})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(idx)
}

func (c *CA) serveCert(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".cer")
	au, err := c.authority(name)
	if !ok || err != nil {
		problem.Write(w, r, problem.NotFound)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-cert")
	// A certificate at a URL never changes while the CA directory lives.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(au.cert.Raw)
}

func (c *CA) serveCRL(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".crl")
	if !ok {
		problem.Write(w, r, problem.NotFound)
		return
	}
	der, err := c.CRL(name)
	if errors.Is(err, ErrUnknownAuthority) {
		problem.Write(w, r, problem.NotFound)
		return
	}
	if err != nil {
		problem.Write(w, r, fmt.Errorf("sandbox CA: CRL of %s: %w", name, err)) // logged, never shown
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(der)
}

func (c *CA) serveOCSPPost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOCSPRequest))
	if err != nil {
		c.writeOCSP(w, ocspStatusOnly(1)) // malformedRequest
		return
	}
	c.writeOCSP(w, c.RespondOCSP(body))
}

// serveOCSPGet takes the request from the path: base64 (standard alphabet, URL-escaped
// as RFC 6960 A.1 asks; unescaped, and the URL-safe alphabet, are accepted too).
func (c *CA) serveOCSPGet(w http.ResponseWriter, r *http.Request) {
	raw, _ := strings.CutPrefix(r.URL.EscapedPath(), Prefix+"/ocsp/")
	s, err := url.PathUnescape(raw)
	if err != nil || len(s) > 2*maxOCSPRequest {
		c.writeOCSP(w, ocspStatusOnly(1))
		return
	}
	der, err := decodeBase64(s)
	if err != nil {
		c.writeOCSP(w, ocspStatusOnly(1))
		return
	}
	c.writeOCSP(w, c.RespondOCSP(der))
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func (c *CA) writeOCSP(w http.ResponseWriter, der []byte) {
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(der)
}
