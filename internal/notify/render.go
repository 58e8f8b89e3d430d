package notify

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
)

// Content is a notice as shown to its reader in one language: what a receipt's hash
// covers.
type Content struct {
	Lang  string   `json:"lang"`
	Title string   `json:"title"`
	Body  []string `json:"body"`
}

// Hash is the base64url SHA-256 of the content's JSON, the form a receipt commits to.
func (c Content) Hash() string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Langs are the languages notices are rendered in.
var Langs = []string{"kk", "ru", "en"}

// messageFallback is the order in which a message's languages stand in for a missing
// one: the reader's, then Russian, Kazakh, English.
var messageFallback = []string{"ru", "kk", "en"}

// Content renders the notice in lang (kk, ru or en; anything else renders in Russian).
func (n *Notice) Content(lang string) Content {
	if !validLang(lang) {
		lang = "ru"
	}
	t := texts[lang]
	f := n.Facts
	c := Content{Lang: lang}
	if n.Kind == KindMessage {
		for _, l := range append([]string{lang}, messageFallback...) {
			if m, ok := f.Message[l]; ok {
				// All of the content in the language it falls back to, the sender's
				// label too: a receipt's hash covers it with that lang, and the
				// notice reopens in it (rc.Lang) word for word.
				c.Lang, c.Title = l, m.Title
				c.Body = append([]string{texts[l]["label.sender"] + ": " + f.SenderIn(l)}, strings.Split(m.Body, "\n")...)
				return c
			}
		}
		return c
	}
	c.Title = t["title."+n.Kind]
	line := func(label, value string) {
		if value != "" {
			c.Body = append(c.Body, t[label]+": "+value)
		}
	}
	switch n.Kind {
	case KindAccess:
		line("label.initiator", party(f.Initiator, lang))
		line("label.owner", party(f.Owner, lang))
		line("label.data", dataSets(f.DataSets, lang))
		switch {
		case f.Ground != nil:
			line("label.ground", ground(f.Ground, lang))
		case f.Service != nil:
			line("label.service", titled(f.Service, lang))
		case f.Flow == "sms":
			line("label.basis", t["basis.sms"])
		case f.ConsentID != "":
			line("label.basis", t["basis.consent"])
		}
		line("label.purpose", f.Purpose)
	case KindAction:
		line("label.owner", party(f.Owner, lang))
		act := t["action."+f.Action]
		if act == "" {
			act = f.Action
		}
		if f.Automated != nil {
			if *f.Automated {
				act += " (" + t["automated.yes"] + ")"
			} else {
				act += " (" + t["automated.no"] + ")"
			}
		}
		line("label.action", act)
		line("label.data", dataSets(f.DataSets, lang))
		line("label.initiator", party(f.Initiator, lang))
	case KindConfirmRequest:
		line("label.initiator", party(f.Initiator, lang))
		line("label.method", t["method."+f.Method])
		if !f.Deadline.IsZero() {
			line("label.deadline", i18n.When(lang, f.Deadline))
		}
		c.Body = append(c.Body, t["confirm.where"])
	case KindDocumentViewed:
		if f.Document != nil {
			title := f.Document.Titles.In(lang)
			if title == "" {
				title = f.Document.Type
			}
			line("label.document", title)
		}
		if f.Initiator != nil {
			line("label.verifier", party(f.Initiator, lang))
		} else {
			line("label.verifier", t["verifier.citizen"])
		}
	default: // consents
		line("label.initiator", party(f.Initiator, lang))
		line("label.owner", party(f.Owner, lang))
		line("label.data", dataSets(f.DataSets, lang))
		line("label.purpose", f.Purpose)
		if !f.ValidUntil.IsZero() && n.Kind == KindConsentGiven {
			line("label.valid_until", i18n.When(lang, f.ValidUntil))
		}
	}
	if !f.At.IsZero() {
		line("label.time", i18n.When(lang, f.At))
	}
	if f.Deferred {
		c.Body = append(c.Body, t["deferred"])
	}
	return c
}

// Link is where in the cabinet the notice's subject is, or "": the consent a notice
// about a consent (or an access under one) is about, on the consents page. The
// notice's text names the consent by its parties, data and purpose, never by its id.
func (n *Notice) Link() string {
	switch {
	case n.Facts.ConsentID == "":
		return ""
	case n.Kind == KindConsentGiven, n.Kind == KindConsentRefused, n.Kind == KindConsentRevoked, n.Kind == KindAccess:
		return "/consents#consent-" + url.PathEscape(n.Facts.ConsentID)
	}
	return ""
}

func validLang(l string) bool { return l == "kk" || l == "ru" || l == "en" }

// party is an organisation by its name in lang (its one name where the directories
// hold no names in languages), with the BIN in lang's word for it (БСН, БИН, BIN), as
// the cabinet's pages write it (common.bin).
func party(p *Party, lang string) string {
	switch {
	case p == nil || p.BIN == "":
		return ""
	case p.Name == "" && p.Names == (pd.Titles{}):
		return i18n.T(lang, "common.bin", p.BIN)
	}
	return cmp.Or(in(p.Names, lang), p.Name) + " (" + i18n.T(lang, "common.bin", p.BIN) + ")"
}

// in is t in lang only (no fallback to another language: the one name stands in).
func in(t pd.Titles, lang string) string {
	return map[string]string{"kk": t.KK, "ru": t.RU, "en": t.EN}[lang]
}

func titled(t *Titled, lang string) string {
	return cmp.Or(in(t.Titles, lang), t.Title, t.Code)
}

func dataSets(ds []DataSet, lang string) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, cmp.Or(in(d.Titles, lang), d.Title, d.Code))
	}
	return strings.Join(parts, "; ")
}

func ground(g *Ground, lang string) string {
	title := map[string]string{"kk": g.Titles.KK, "ru": g.Titles.RU, "en": g.Titles.EN}[lang]
	for _, alt := range []string{g.Titles.RU, g.Titles.KK, g.Titles.EN, g.Code} {
		if title == "" {
			title = alt
		}
	}
	if ref := g.LegalRefs.Or(lang, g.LegalRef); ref != "" { // as pd.Ground.LegalRefIn
		title += " — " + ref
	}
	return title
}

// texts are the words of automatic notices; TestTextsComplete keeps the three
// languages in step.
var texts = map[string]map[string]string{
	"kk": {
		"title.confirm_request": "Ұйым мәмілені растауды сұрайды",
		"label.method":          "Растау тәсілі",
		"label.deadline":        "Мерзімі",
		"method.eds":            "ЭЦҚ-мен қол қою",
		"method.push":           "push-растау",
		"confirm.where":         "Мәтінді оқып, жауап беру үшін кабинетте «Растауымды күтуде» бөлімін ашыңыз.",
		"title.document_viewed": "Сіздің цифрлық құжатыңыз қаралды",
		"label.document":        "Құжат",
		"label.verifier":        "Кім қарады",
		"verifier.citizen":      "азамат (аты-жөні «Құжаттар» бөлімінде)",
		"title.access":          "Сіздің деректеріңізге қол жеткізілді",
		"title.action":          "Деректер иесі сіздің деректеріңізбен жасалған әрекет туралы хабарлады",
		"title.consent_given":   "Келісім берілді",
		"title.consent_refused": "Келісім беруден бас тартылды",
		"title.consent_revoked": "Келісім кері қайтарып алынды",
		"label.initiator":       "Ұйым",
		"label.owner":           "Деректер иесі",
		"label.data":            "Деректер",
		"label.purpose":         "Мақсаты",
		"label.ground":          "Құқықтық негіз",
		"label.service":         "Проактивті қызмет",
		"label.basis":           "Негіз",
		"label.action":          "Әрекет",
		"label.time":            "Уақыты",
		"label.valid_until":     "Қолданылу мерзімі",
		"label.sender":          "Жіберуші",
		"out.notice":            "Senim: %s жіберген жаңа хабарлама",
		"out.reminder":          "Senim еске салады: %s жіберген оқылмаған хабарлама",
		"out.fallback":          "Senim: %s жіберген хабарламаны оқу мерзімі өтті",
		"out.auto":              "Senim: %s",
		"out.significant":       "Заңдық маңызы бар: ол сіздің кабинетіңізде ашылады.",
		"basis.consent":         "сіздің келісіміңіз",
		"basis.sms":             "SMS-кодпен расталған келісім",
		"action.access":         "қол жеткізу",
		"action.view":           "қарау",
		"action.change":         "өзгерту",
		"action.addition":       "толықтыру",
		"action.transfer":       "беру",
		"action.blocking":       "бұғаттау",
		"action.deletion":       "жою",
		"automated.yes":         "автоматты түрде",
		"automated.no":          "қызметкер жасады",
		"deferred":              "Бұл хабарлама заңда белгіленген кейінге қалдыру мерзімі аяқталғаннан кейін жіберілді.",
	},
	"ru": {
		"title.confirm_request": "Организация просит подтвердить сделку",
		"label.method":          "Способ подтверждения",
		"label.deadline":        "Срок",
		"method.eds":            "подпись ЭЦП",
		"method.push":           "push-подтверждение",
		"confirm.where":         "Чтобы прочитать текст и ответить, откройте в кабинете раздел «Ждут моего подтверждения».",
		"title.document_viewed": "Ваш цифровой документ просмотрели",
		"label.document":        "Документ",
		"label.verifier":        "Кто просмотрел",
		"verifier.citizen":      "гражданин (имя — в разделе «Документы»)",
		"title.access":          "Доступ к вашим данным",
		"title.action":          "Владелец данных сообщил о действии с вашими данными",
		"title.consent_given":   "Согласие дано",
		"title.consent_refused": "Отказ в согласии",
		"title.consent_revoked": "Согласие отозвано",
		"label.initiator":       "Организация",
		"label.owner":           "Владелец данных",
		"label.data":            "Данные",
		"label.purpose":         "Цель",
		"label.ground":          "Правовое основание",
		"label.service":         "Проактивная услуга",
		"label.basis":           "Основание",
		"label.action":          "Действие",
		"label.time":            "Время",
		"label.valid_until":     "Действует до",
		"label.sender":          "Отправитель",
		"out.notice":            "Senim: новое уведомление. Отправитель: %s",
		"out.reminder":          "Senim напоминает о непрочитанном уведомлении. Отправитель: %s",
		"out.fallback":          "Senim: срок прочтения уведомления истёк. Отправитель: %s",
		"out.auto":              "Senim: %s",
		"out.significant":       "Юридически значимое: оно открывается в вашем кабинете.",
		"basis.consent":         "ваше согласие",
		"basis.sms":             "согласие, подтверждённое SMS-кодом",
		"action.access":         "доступ",
		"action.view":           "просмотр",
		"action.change":         "изменение",
		"action.addition":       "дополнение",
		"action.transfer":       "передача",
		"action.blocking":       "блокирование",
		"action.deletion":       "удаление",
		"automated.yes":         "автоматически",
		"automated.no":          "сотрудником",
		"deferred":              "Уведомление было отложено по закону и отправлено по окончании срока отсрочки.",
	},
	"en": {
		"title.confirm_request": "An organisation asks you to confirm a transaction",
		"label.method":          "How to confirm",
		"label.deadline":        "Deadline",
		"method.eds":            "EDS signature",
		"method.push":           "push confirmation",
		"confirm.where":         "To read the text and answer, open \"Awaiting my confirmation\" in the cabinet.",
		"title.document_viewed": "Your digital document was viewed",
		"label.document":        "Document",
		"label.verifier":        "Viewed by",
		"verifier.citizen":      "a citizen (named in Documents)",
		"title.access":          "Your data was accessed",
		"title.action":          "A data owner reported an action on your data",
		"title.consent_given":   "Consent given",
		"title.consent_refused": "Consent refused",
		"title.consent_revoked": "Consent revoked",
		"label.initiator":       "Organisation",
		"label.owner":           "Data owner",
		"label.data":            "Data",
		"label.purpose":         "Purpose",
		"label.ground":          "Legal ground",
		"label.service":         "Proactive service",
		"label.basis":           "Basis",
		"label.action":          "Action",
		"label.time":            "Time",
		"label.valid_until":     "Valid until",
		"label.sender":          "Sender",
		"out.notice":            "Senim: a new notice from %s",
		"out.reminder":          "Senim reminder: an unread notice from %s",
		"out.fallback":          "Senim: the time to read a notice from %s has passed",
		"out.auto":              "Senim: %s",
		"out.significant":       "Legally significant: it opens in your cabinet.",
		"basis.consent":         "your consent",
		"basis.sms":             "consent confirmed with an SMS code",
		"action.access":         "access",
		"action.view":           "viewing",
		"action.change":         "change",
		"action.addition":       "addition",
		"action.transfer":       "transfer",
		"action.blocking":       "blocking",
		"action.deletion":       "deletion",
		"automated.yes":         "automatically",
		"automated.no":          "by a person",
		"deferred":              "This notice was deferred by law and is sent now that the deferral has ended.",
	},
}
