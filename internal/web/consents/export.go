package consents

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
)

// exportEntry is one access in the citizen's export: what the domain recorded, the
// names a person reads, and the proof in the log.
type exportEntry struct {
	pd.HistoryEntry
	InitiatorName string       `json:"initiator_name,omitempty"`
	OwnerName     string       `json:"owner_name,omitempty"`
	DataSetTitles []string     `json:"data_set_titles"`
	Basis         string       `json:"basis,omitempty"` // the service's or the legal ground's title
	Proof         *exportProof `json:"proof,omitempty"`
}

type exportProof struct {
	LogIndex int64  `json:"log_index"`
	TreeSize int64  `json:"tree_size"`
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
	Evidence string `json:"evidence"` // the path of the evidence bundle, for `senim log verify`
}

// exportEntries is the citizen's whole access history (PD-3.4) with names and proofs.
func (a *area) exportEntries(r *http.Request, sess *identity.Session, lang string) ([]exportEntry, error) {
	h, err := a.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return nil, err
	}
	n, err := a.names(r.Context(), lang)
	if err != nil {
		return nil, err
	}
	proofs := map[int64]*exportProof{}
	if a.cfg.Log != nil {
		entries, err := a.cfg.Log.SubjectHistory(r.Context(), sess.Citizen.Ref())
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			proofs[e.EventID] = &exportProof{LogIndex: e.Index, TreeSize: e.TreeSize, Verified: e.Verified, Problem: e.Problem,
				Evidence: "/history/" + strconv.FormatInt(e.Index, 10) + "/evidence.json"}
		}
	}
	out := make([]exportEntry, 0, len(h))
	granted := grants(h)
	for _, e := range h {
		row := n.access(e)
		basis := row.Service + row.Ground
		if e.Kind == "action" { // a report's why, as the page words it
			switch {
			case granted[e.TokenJTI] != 0:
				basis = i18n.T(lang, "access.basis.under")
			case e.TokenJTI != "":
				basis = i18n.T(lang, "access.basis.under_hidden")
			default:
				basis = i18n.T(lang, "access.basis.own")
			}
		}
		out = append(out, exportEntry{HistoryEntry: e, InitiatorName: row.Initiator.Name, OwnerName: row.Owner.Name,
			DataSetTitles: row.DataSets, Basis: basis, Proof: proofs[e.EventID]})
	}
	return out, nil
}

// exportJSON sends the citizen's access history as JSON.
func (a *area) exportJSON(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(nil, r, sess)
	entries, err := a.exportEntries(r, sess, p.Lang)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(map[string]any{"generated_at": time.Now().UTC(), "accesses": entries}, "", "  ")
	if err != nil {
		return err
	}
	download(w, "senim-access-history.json", "application/json")
	_, err = w.Write(append(b, '\n'))
	return err
}

// exportCSV sends the citizen's access history as CSV, one access a row, times in UTC
// and in Kazakhstan's time.
func (a *area) exportCSV(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(nil, r, sess)
	entries, err := a.exportEntries(r, sess, p.Lang)
	if err != nil {
		return err
	}
	download(w, "senim-access-history.csv", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write([]string{"time_utc", "time_astana", "kind", "action", "automated", "initiator_bin", "initiator_name", "owner_bin", "owner_name",
		"data_sets", "data_set_titles", "flow", "code", "basis", "purpose", "consent_id", "token_jti", "log_index", "verified", "evidence"})
	for _, e := range entries {
		idx, verified, evidence := "", "", ""
		if e.Proof != nil {
			idx, verified, evidence = strconv.FormatInt(e.Proof.LogIndex, 10), strconv.FormatBool(e.Proof.Verified), e.Proof.Evidence
		}
		row := []string{e.At.UTC().Format(time.RFC3339), e.At.In(i18n.Zone).Format("2006-01-02 15:04:05"), e.Kind, e.Action,
			strconv.FormatBool(e.Automated), e.Initiator, e.InitiatorName, e.Owner, e.OwnerName, strings.Join(e.DataSets, ";"),
			strings.Join(e.DataSetTitles, ";"), e.Flow, e.Code, e.Basis, e.Purpose, e.ConsentID, e.TokenJTI, idx, verified, evidence}
		for i := range row {
			row[i] = cell(row[i])
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from running a text as a formula (CSV injection): purposes
// and names come from organizations, not from Senim.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func download(w http.ResponseWriter, name, typ string) {
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}
