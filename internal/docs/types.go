package docs

import (
	"fmt"
	"slices"
	"sort"
)

// Langs are the languages a type's titles and labels are given in.
var Langs = []string{"kk", "ru", "en"}

// Text is one string in each of kk, ru and en.
type Text struct{ KK, RU, EN string }

// In returns the text in lang (Russian for anything else).
func (t Text) In(lang string) string {
	switch lang {
	case "kk":
		return t.KK
	case "en":
		return t.EN
	}
	return t.RU
}

func (t Text) complete() bool { return t.KK != "" && t.RU != "" && t.EN != "" }

// Field is one line of a document's layout.
type Field struct {
	Key   string // the field's name in the source's record and in the API's JSON
	Label Text
	// Max bounds the value's length in bytes (a source's answer is untrusted).
	Max int
}

// Type is a versioned document type: registered by Kind and Version, so a version 2
// can arrive beside version 1 without changing what version 1 means.
type Type struct {
	Kind    string // e.g. "identity_card"
	Version int    // 1, 2, ...
	Title   Text
	Layout  []Field // in the order the document shows them
}

// ID is "kind/vN", the type's name in records and URLs.
func (t *Type) ID() string { return fmt.Sprintf("%s/v%d", t.Kind, t.Version) }

// Types is a registry of document types.
type Types struct {
	byKind map[string]map[int]*Type
}

// NewTypes returns a registry holding ts; it fails on a duplicate (kind, version), an
// incomplete title or label, or a layout with no or repeated fields.
func NewTypes(ts ...*Type) (*Types, error) {
	r := &Types{byKind: map[string]map[int]*Type{}}
	for _, t := range ts {
		if err := r.add(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Types) add(t *Type) error {
	if !validKind(t.Kind) || t.Version < 1 || !t.Title.complete() || len(t.Layout) == 0 {
		return fmt.Errorf("docs: type %q v%d: kind, version, title in kk/ru/en and a layout are required", t.Kind, t.Version)
	}
	seen := map[string]bool{}
	for _, f := range t.Layout {
		if !validKind(f.Key) || seen[f.Key] || !f.Label.complete() || f.Max <= 0 {
			return fmt.Errorf("docs: type %s: field %q: a unique key, labels in kk/ru/en and a maximum length are required", t.ID(), f.Key)
		}
		seen[f.Key] = true
	}
	if r.byKind[t.Kind] == nil {
		r.byKind[t.Kind] = map[int]*Type{}
	}
	if r.byKind[t.Kind][t.Version] != nil {
		return fmt.Errorf("docs: type %s registered twice", t.ID())
	}
	r.byKind[t.Kind][t.Version] = t
	return nil
}

// Get returns the type kind at version, or nil.
func (r *Types) Get(kind string, version int) *Type { return r.byKind[kind][version] }

// Latest returns the newest version of kind, or nil.
func (r *Types) Latest(kind string) *Type {
	var best *Type
	for v, t := range r.byKind[kind] {
		if best == nil || v > best.Version {
			best = t
		}
	}
	return best
}

// Kinds lists the registered kinds, sorted.
func (r *Types) Kinds() []string {
	out := make([]string, 0, len(r.byKind))
	for k := range r.byKind {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validKind: lower-case ASCII letters, digits and '_', 1 to 64 bytes, starting with a letter.
func validKind(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// The document kinds of the population register.
const (
	KindIdentityCard        = "identity_card"
	KindBirthCertificate    = "birth_certificate"
	KindDrivingLicence      = "driving_licence"
	KindVehicleRegistration = "vehicle_registration"
	KindAddressRegistration = "address_registration"
)

// Labels shared by several types.
var (
	lName      = Text{"Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name"}
	lIIN       = Text{"ЖСН", "ИИН", "IIN"}
	lBirth     = Text{"Туған күні", "Дата рождения", "Date of birth"}
	lNumber    = Text{"Құжат нөмірі", "Номер документа", "Document number"}
	lIssuedBy  = Text{"Берген орган", "Орган выдачи", "Issued by"}
	lIssuedOn  = Text{"Берілген күні", "Дата выдачи", "Date of issue"}
	lValid     = Text{"Жарамдылық мерзімі", "Срок действия", "Valid until"}
	lBirthTown = Text{"Туған жері", "Место рождения", "Place of birth"}
)

// StandardTypes returns version 1 of the five document types of the population
// register: identity card, birth certificate, driving licence, vehicle registration
// certificate and certificate of address registration.
func StandardTypes() *Types {
	f := func(key string, l Text, max int) Field { return Field{Key: key, Label: l, Max: max} }
	r, err := NewTypes(
		&Type{Kind: KindIdentityCard, Version: 1,
			Title: Text{"Жеке куәлік", "Удостоверение личности", "Identity card"},
			Layout: []Field{f("name", lName, 200), f("iin", lIIN, 12), f("birth_date", lBirth, 10), f("birth_place", lBirthTown, 200),
				f("number", lNumber, 20), f("issued_by", lIssuedBy, 200), f("issued_on", lIssuedOn, 10), f("valid_until", lValid, 10)}},
		&Type{Kind: KindBirthCertificate, Version: 1,
			Title: Text{"Туу туралы куәлік", "Свидетельство о рождении", "Birth certificate"},
			Layout: []Field{f("name", lName, 200), f("iin", lIIN, 12), f("birth_date", lBirth, 10), f("birth_place", lBirthTown, 200),
				f("number", lNumber, 20), f("registered_by", Text{"Тіркеген орган", "Орган регистрации", "Registered by"}, 200),
				f("registered_on", Text{"Тіркелген күні", "Дата регистрации", "Date of registration"}, 10)}},
		&Type{Kind: KindDrivingLicence, Version: 1,
			Title: Text{"Жүргізуші куәлігі", "Водительское удостоверение", "Driving licence"},
			Layout: []Field{f("name", lName, 200), f("iin", lIIN, 12), f("birth_date", lBirth, 10), f("number", lNumber, 20),
				f("categories", Text{"Санаттар", "Категории", "Categories"}, 40), f("issued_by", lIssuedBy, 200),
				f("issued_on", lIssuedOn, 10), f("valid_until", lValid, 10)}},
		&Type{Kind: KindVehicleRegistration, Version: 1,
			Title: Text{"Көлік құралын тіркеу туралы куәлік", "Свидетельство о регистрации транспортного средства", "Vehicle registration certificate"},
			Layout: []Field{f("owner_name", Text{"Иесі", "Владелец", "Owner"}, 200), f("iin", lIIN, 12), f("number", lNumber, 20),
				f("plate", Text{"Мемлекеттік тіркеу нөмірі", "Государственный регистрационный номер", "Registration plate"}, 20),
				f("vin", Text{"VIN", "VIN", "VIN"}, 17), f("make_model", Text{"Маркасы, үлгісі", "Марка, модель", "Make and model"}, 100),
				f("year", Text{"Шығарылған жылы", "Год выпуска", "Year of manufacture"}, 4), f("issued_on", lIssuedOn, 10)}},
		&Type{Kind: KindAddressRegistration, Version: 1,
			Title: Text{"Мекенжай бойынша тіркеу туралы анықтама", "Справка о регистрации по месту жительства", "Certificate of address registration"},
			Layout: []Field{f("name", lName, 200), f("iin", lIIN, 12), f("address", Text{"Тұрғылықты мекенжайы", "Адрес места жительства", "Registered address"}, 300),
				f("registered_on", Text{"Тіркелген күні", "Дата регистрации", "Date of registration"}, 10)}},
	)
	if err != nil {
		panic(err) // the standard types are fixed; TestStandardTypes keeps them valid
	}
	return r
}

// check validates a source's record against t: every field of the layout present,
// none unknown, each within its length.
func (t *Type) check(fields map[string]string) error {
	for _, f := range t.Layout {
		v, ok := fields[f.Key]
		if !ok || v == "" || len(v) > f.Max {
			return fmt.Errorf("field %q missing, empty or longer than %d bytes", f.Key, f.Max)
		}
	}
	for k := range fields {
		if !slices.ContainsFunc(t.Layout, func(f Field) bool { return f.Key == k }) {
			return fmt.Errorf("field %q is not in the layout of %s", k, t.ID())
		}
	}
	return nil
}
