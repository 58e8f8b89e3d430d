// Package popreg is the sandbox population register acting as a state data owner: it
// answers data requests about the demo citizens only with a valid Senim security
// token, checked by the public verifier package exactly as a real data owner would
// embed it (PD-6.1.10, PD-6.2.4, PD-6.3.8), and reports each answer back to Senim as an
// automated "view" of the subject's data (PD-3.4, PD-2.8-1).
//
// The data request is authenticated like any call to Senim: a Senim-Signature header
// (or mutual TLS) from which the orgauth middleware takes the initiator's certificate,
// so the token's sender constraint (cnf.x5t#S256) is checked over plain HTTP too.
//
//	GET /sandbox/popreg/v1/persons/{iin}?data_sets=identity,address
//	Authorization: Senim-Signature <signed request>
//	Senim-Security-Token: <security token>
//
// Everything it serves is SANDBOX data.
package popreg

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/verifier"
)

// Path is the route of a data request.
const Path = "GET /sandbox/popreg/v1/persons/{iin}"

// Reporter sends the register's report of an action to Senim (in-process:
// a closure over (*pd.Service).ReportAction with the register as caller).
type Reporter func(ctx context.Context, tokenJTI, subjectIIN string, dataSets []string) error

// Register is the population register.
type Register struct {
	v      *verifier.Verifier
	report Reporter
	people map[string]sandbox.Citizen
}

// New returns the register serving the demo population pop.
func New(v *verifier.Verifier, pop sandbox.Population, report Reporter) *Register {
	r := &Register{v: v, report: report, people: map[string]sandbox.Citizen{}}
	for _, c := range pop.Citizens {
		r.people[c.IIN] = c
	}
	return r
}

// Handler returns the data-request handler behind the verifier middleware. Mount it
// behind the orgauth middleware (which supplies the initiator's certificate).
func (reg *Register) Handler() http.Handler {
	extract := func(r *http.Request) (verifier.Request, error) {
		req := verifier.Request{Subject: r.PathValue("iin")}
		for _, d := range strings.Split(r.URL.Query().Get("data_sets"), ",") {
			if d = strings.TrimSpace(d); d != "" {
				req.DataSets = append(req.DataSets, d)
			}
		}
		if c := orgauth.FromContext(r.Context()); c != nil {
			req.ClientCert, req.Initiator = c.Certificate, c.BIN
		}
		return req, nil
	}
	return reg.v.Middleware(extract, http.HandlerFunc(reg.serve))
}

func (reg *Register) serve(w http.ResponseWriter, r *http.Request) {
	claims := verifier.FromContext(r.Context())
	p, ok := reg.people[claims.Subject]
	if !ok {
		problem.Write(w, r, problem.NotFound.WithDetail("no such person in the sandbox register"))
		return
	}
	var sets []string
	for _, d := range strings.Split(r.URL.Query().Get("data_sets"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			sets = append(sets, d)
		}
	}
	out := map[string]any{"sandbox": true, "iin": p.IIN}
	for _, d := range sets {
		switch d {
		case "identity":
			out["identity"] = map[string]string{"name": p.Name, "document": "SANDBOX ID " + p.IIN[6:]}
		case "address":
			out["address"] = map[string]string{"city": "Astana", "street": fmt.Sprintf("Sandbox street %s", p.IIN[8:11])}
		case "family":
			out["family"] = []string{}
		}
	}
	if reg.report != nil {
		if err := reg.report(r.Context(), claims.ID, claims.Subject, sets); err != nil {
			// The subject must learn of every action (Invariant 2): no report, no data.
			problem.Write(w, r, problem.Unavailable.WithCause(err))
			return
		}
	}
	problem.WriteJSON(w, http.StatusOK, out)
}
