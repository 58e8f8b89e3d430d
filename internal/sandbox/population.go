// Package sandbox simulates, inside `senim serve --sandbox`, the external systems a
// newcomer does not have — the mobile citizens database (БМГ) and the "mobile
// government" SMS gateway — and seeds a fixed demo population, so every flow runs on
// one laptop. It is never on unless asked for, and everything it serves says SANDBOX.
//
// Demo numbers pass the IIN/BIN check digit but can never be a real person's or
// company's: demo IINs have the century/sex digit 0 and demo BINs the entity-type
// digit 9, neither of which is ever assigned. Demo phone numbers use the +7 799 range,
// which no Kazakh operator holds, and no SMS ever leaves the process.
package sandbox

import (
	"fmt"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
)

// Citizen is a demo citizen, as GET /sandbox/population lists it.
type Citizen struct {
	IIN      string `json:"iin"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Phone    string `json:"phone"` // "" = not in the mobile citizens database
	Lang     string `json:"lang"`
}

// Organization is a demo organization.
type Organization struct {
	BIN  string `json:"bin"`
	Name string `json:"name"`
	// Names are the name in Kazakh, Russian and English.
	Names   identity.Names `json:"names"`
	Role    string         `json:"role"`
	Systems []System       `json:"information_systems"`
	Keys    []KeyLink      `json:"keys"` // the information system's sandbox keys, PKCS#12
}

// System is a demo organization's information system.
type System struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Population is the demo population.
type Population struct {
	Citizens      []Citizen      `json:"citizens"`
	Organizations []Organization `json:"organizations"`
}

var demoCitizens = []struct {
	birth, name, lang string
	noPhone           bool
}{
	{"850314", "Айгерім Сәрсенбаева", "kk", false},
	{"790921", "Нұрлан Жақыпов", "kk", false},
	{"920705", "Анна Ковальчук", "ru", false},
	{"680130", "Ерлан Тоқтаров", "kk", false},
	{"010212", "Dana Akhmetova", "en", false},
	{"750818", "Сергей Иванов", "ru", false},
	{"880402", "Гүлнар Омарова", "kk", false},
	{"960627", "Тимур Бекмұхамбетов", "ru", false},
	{"550110", "Бақыт Исаева", "kk", false},
	{"030509", "Alikhan Serik", "en", false},
	{"810711", "Мадина Нұрланқызы", "kk", false},
	{"700223", "Ольга Ким", "ru", false},
	{"940914", "Әсел Қайратқызы", "kk", false},
	{"621105", "Виктор Пак", "ru", false},
	{"870316", "Жанар Досанова", "kk", false},
	{"990121", "Arman Tulegenov", "en", false},
	{"770605", "Сәуле Мұратова", "kk", false},
	{"840829", "Дмитрий Ли", "ru", false},
	{"121130", "Айша Ержанқызы", "kk", false}, // a minor: her parent acts for her
	{"600402", "Болат Әбдіков", "kk", false},
	{"910917", "Ирина Цой", "ru", false},
	{"830506", "Қанат Сейітов", "kk", true}, // not registered in the mobile citizens database
}

var demoOrgs = []struct {
	reg, name, role string
	names           identity.Names
	systems         []System
}{
	{"0504", "Demo Bank JSC", "bank", identity.Names{KK: "«Демо Банк» АҚ", RU: "АО «Демо Банк»", EN: "Demo Bank JSC"},
		[]System{{"core", "Core banking"}, {"loans", "Retail lending"}}},
	{"1011", "Demo Insurance JSC", "insurer", identity.Names{KK: "«Демо Сақтандыру» АҚ", RU: "АО «Демо Страхование»", EN: "Demo Insurance JSC"},
		[]System{{"policy", "Policy administration"}}},
	{"0802", "Demo Mobile LLP", "mobile_operator", identity.Names{KK: "«Демо Мобайл» ЖШС", RU: "ТОО «Демо Мобайл»", EN: "Demo Mobile LLP"},
		[]System{{"crm", "Subscriber CRM"}}},
	{"9901", "Population Register (demo state body)", "state_body",
		identity.Names{KK: "Халық тіркелімі (демо мемлекеттік орган)", RU: "Регистр населения (демо госорган)", EN: "Population Register (demo state body)"},
		[]System{{"gbdfl", "State database of individuals"}}},
	{"1203", "Regulator for personal data (demo authorized body)", "regulator",
		identity.Names{KK: "Дербес деректер жөніндегі уәкілетті орган (демо)", RU: "Уполномоченный орган по персональным данным (демо)", EN: "Regulator for personal data (demo authorized body)"},
		[]System{{"console", "Regulator console"}}},
	{"1507", "Demo Microfinance LLP", "microfinance", identity.Names{KK: "«Демо Микроқаржы» ЖШС", RU: "ТОО «Демо Микрофинанс»", EN: "Demo Microfinance LLP"},
		[]System{{"scoring", "Credit scoring"}}},
	{"0006", "Demo Police Department (demo law enforcement)", "law_enforcement",
		identity.Names{KK: "Демо полиция департаменті (құқық қорғау органы)", RU: "Демо департамент полиции (правоохранительный орган)", EN: "Demo Police Department (demo law enforcement)"},
		[]System{{"cases", "Case management"}}},
}

// Demo returns the demo population. It is the same on every run.
func Demo() Population {
	var p Population
	serial := 1000
	for i, c := range demoCitizens {
		var iin string
		for ; iin == ""; serial++ {
			// birth date, century/sex digit 0 (never assigned), 4-digit serial.
			iin, _ = kzid.Complete(fmt.Sprintf("%s0%04d", c.birth, serial))
		}
		phone := fmt.Sprintf("+7799%07d", 1000+i)
		if c.noPhone {
			phone = ""
		}
		p.Citizens = append(p.Citizens, Citizen{IIN: iin, Name: c.name, Password: fmt.Sprintf("Sandbox-%02d", i+1), Phone: phone, Lang: c.lang})
	}
	serial = 100
	for _, o := range demoOrgs {
		var bin string
		for ; bin == ""; serial++ {
			// registration year-month, entity type 9 (never assigned), head office, serial.
			bin, _ = kzid.Complete(fmt.Sprintf("%s90%05d", o.reg, serial))
		}
		p.Organizations = append(p.Organizations, Organization{BIN: bin, Name: o.name, Names: o.names, Role: o.role, Systems: o.systems, Keys: LinksForOrg(bin)})
	}
	return p
}

// Representatives returns who may act for the sandbox's minors: Айша Ержанқызы (born
// 2012-11-30) is represented by her mother Гүлнар Омарова.
func Representatives(p Population) map[string][]string {
	minor, parent := p.Citizens[18].IIN, p.Citizens[6].IIN
	return map[string][]string{minor: {parent}}
}

// Staff returns the demo citizens who work for a demo organization (IIN -> BIN): Ольга
// Ким works for the regulator, so she can keep its directories in the console after
// logging in with her employee key.
func Staff(p Population) map[string]string {
	for _, o := range p.Organizations {
		if o.Role == "regulator" {
			return map[string]string{p.Citizens[11].IIN: o.BIN}
		}
	}
	return nil
}
