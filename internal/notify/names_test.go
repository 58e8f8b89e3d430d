package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/pd"
)

// Issue 10 item 1: a notice names the organisation, the data and the service in the
// reader's language where the directories gave names in languages, and by the one
// name (or the code) where they did not.
func TestNoticeNamesInEachLanguage(t *testing.T) {
	n := &Notice{Kind: KindAccess, Facts: Facts{
		Initiator: &Party{BIN: "100000000001", Name: "Demo Bank JSC", Names: pd.Titles{KK: "«Демо Банк» АҚ", RU: "АО «Демо Банк»", EN: "Demo Bank JSC"}},
		Owner:     &Party{BIN: "100000000002", Name: "Population Register"},
		DataSets:  []DataSet{{Code: "identity", Title: "Identity card", Titles: pd.Titles{KK: "Жеке куәлік", RU: "Удостоверение личности"}}, {Code: "x"}},
		Service:   &Titled{Code: "LOAN-KYC", Title: "Loan KYC", Titles: pd.Titles{KK: "Несие алу"}},
	}}
	for lang, want := range map[string][]string{
		"kk": {"«Демо Банк» АҚ (БСН 100000000001)", "Population Register (БСН 100000000002)", "Жеке куәлік; x", "Несие алу"},
		"ru": {"АО «Демо Банк» (БИН 100000000001)", "Удостоверение личности; x", "Loan KYC"},
		"en": {"Demo Bank JSC (BIN 100000000001)", "Identity card; x", "Loan KYC"},
	} {
		body := strings.Join(n.Content(lang).Body, "\n")
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %q lacks %q", lang, body, w)
			}
		}
	}
	// A party with neither name: its BIN.
	if got := party(&Party{BIN: "100000000003"}, "kk"); got != "БСН 100000000003" {
		t.Errorf("nameless party: %q", got)
	}
}
