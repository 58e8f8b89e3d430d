package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/pd"
)

// rule DC-2: what the SMS, the e-mail and the push say of a sent notice names its
// sender in words that stay grammatical whatever the name. The Russian texts said
// "новое уведомление от %s": "от" needs the genitive, and an organisation's name is
// inserted as the directory holds it, in the nominative — "от Комитет государственных
// доходов". Each Russian text now names the sender after "Отправитель:", as the
// notice itself does; the Kazakh and English ones keep their forms, which take the
// name as it is.
func TestOutgoingNamesTheSenderGrammatically(t *testing.T) {
	s := &Service{cfg: Config{Issuer: "https://senim.test"}}
	names := pd.Titles{KK: "Мемлекеттік кірістер комитеті", RU: "Комитет государственных доходов", EN: "State Revenue Committee"}
	n := &Notice{Ref: "n_AAAAAAAAAAAAAAAAAAAAAA", Kind: KindMessage, Significant: true,
		Facts: Facts{Sender: names.EN, SenderNames: names}}
	want := map[string]map[string]string{
		"ru": {
			PurposeNotice:   "Senim: новое уведомление. Отправитель: Комитет государственных доходов",
			PurposeReminder: "Senim напоминает о непрочитанном уведомлении. Отправитель: Комитет государственных доходов",
			PurposeFallback: "Senim: срок прочтения уведомления истёк. Отправитель: Комитет государственных доходов",
		},
		"kk": {
			PurposeNotice:   "Senim: Мемлекеттік кірістер комитеті жіберген жаңа хабарлама",
			PurposeReminder: "Senim еске салады: Мемлекеттік кірістер комитеті жіберген оқылмаған хабарлама",
			PurposeFallback: "Senim: Мемлекеттік кірістер комитеті жіберген хабарламаны оқу мерзімі өтті",
		},
		"en": {
			PurposeNotice:   "Senim: a new notice from State Revenue Committee",
			PurposeReminder: "Senim reminder: an unread notice from State Revenue Committee",
			PurposeFallback: "Senim: the time to read a notice from State Revenue Committee has passed",
		},
	}
	for lang, byPurpose := range want {
		for purpose, title := range byPurpose {
			m := s.outgoing(n, claimed{id: 7, purpose: purpose}, lang)
			if m.Title != title {
				t.Errorf("%s %s: %q, want %q", lang, purpose, m.Title, title)
			}
			if !strings.HasPrefix(m.Text, title+"\n") || !strings.HasSuffix(m.Text, "/inbox/"+n.Ref) {
				t.Errorf("%s %s: text %q", lang, purpose, m.Text)
			}
			if lang == "ru" && strings.Contains(m.Text, "от "+names.RU) {
				t.Errorf("ru %s: %q puts the name in the nominative after «от»", purpose, m.Text)
			}
		}
	}
}
