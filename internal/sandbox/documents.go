package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/senimkz/senim/internal/docs"
)

// Documents is the sandbox population register as a reference source of digital
// documents: an identity card, a birth certificate and a certificate of address
// registration for every demo citizen, a driving licence for the adults, and a
// vehicle registration certificate for every third citizen. The values are derived
// from the IIN, so they are the same on every run, and they say SANDBOX where a real
// document would carry an authority's name.
type Documents struct {
	people map[string]int // IIN -> index in the population
	names  []string
	// Now is the clock that decides who is an adult (time.Now when nil).
	Now func() time.Time
}

// NewDocuments returns the register of p's documents.
func NewDocuments(p Population) *Documents {
	d := &Documents{people: map[string]int{}}
	for i, c := range p.Citizens {
		d.people[c.IIN] = i
		d.names = append(d.names, c.Name)
	}
	return d
}

var (
	towns   = []string{"Астана", "Алматы", "Шымкент", "Қарағанды", "Ақтөбе", "Павлодар", "Өскемен", "Тараз"}
	streets = []string{"Абай даңғылы", "Сарыарқа көшесі", "Желтоқсан көшесі", "Төле би көшесі", "Қабанбай батыр даңғылы", "Мәңгілік Ел даңғылы"}
	cars    = []string{"Toyota Camry", "Hyundai Tucson", "Kia Rio", "Lada Granta", "Chevrolet Cobalt", "JAC S3"}
)

// birth returns the birth date an IIN encodes (century digit 0: 19xx if the year is
// above 26, else 20xx).
func birth(iin string) time.Time {
	var y, m, d int
	fmt.Sscanf(iin[:6], "%02d%02d%02d", &y, &m, &d)
	if y > 26 {
		y += 1900
	} else {
		y += 2000
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// Fetch implements docs.Source.
func (d *Documents) Fetch(_ context.Context, kind, iin string) (*docs.Record, error) {
	i, ok := d.people[iin]
	if !ok {
		return nil, docs.ErrNoDocument
	}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	h := sha256.Sum256([]byte("senim sandbox documents\x00" + iin))
	n := func(k int) uint64 { return binary.BigEndian.Uint64(h[k*8:]) }
	born := birth(iin)
	date := func(t time.Time) string { return t.Format("02.01.2006") }
	adult := born.AddDate(18, 0, 0).Before(now)
	town := towns[n(0)%uint64(len(towns))]
	name := d.names[i]
	var f map[string]string
	switch kind {
	case docs.KindIdentityCard:
		if !adult && born.AddDate(16, 0, 0).After(now) {
			return nil, docs.ErrNoDocument // an identity card from the age of 16
		}
		issued := now.AddDate(-int(n(1)%9), -int(n(2)%12), 0)
		f = map[string]string{"name": name, "iin": iin, "birth_date": date(born), "birth_place": town,
			"number": fmt.Sprintf("0%08d", n(1)%1e8), "issued_by": "SANDBOX: Ministry of Internal Affairs",
			"issued_on": date(issued), "valid_until": date(issued.AddDate(10, 0, -1))}
	case docs.KindBirthCertificate:
		f = map[string]string{"name": name, "iin": iin, "birth_date": date(born), "birth_place": town,
			"number": fmt.Sprintf("%s%07d", "I-АЖ", n(2)%1e7), "registered_by": "SANDBOX: civil registry office, " + town,
			"registered_on": date(born.AddDate(0, 0, 10))}
	case docs.KindDrivingLicence:
		if !adult {
			return nil, docs.ErrNoDocument
		}
		issued := now.AddDate(-int(n(3)%9), -int(n(1)%12), 0)
		f = map[string]string{"name": name, "iin": iin, "birth_date": date(born), "number": fmt.Sprintf("KZ%08d", n(3)%1e8),
			"categories": "B", "issued_by": "SANDBOX: Specialised Public Service Centre", "issued_on": date(issued),
			"valid_until": date(issued.AddDate(10, 0, -1))}
	case docs.KindVehicleRegistration:
		if !adult || i%3 != 0 {
			return nil, docs.ErrNoDocument
		}
		f = map[string]string{"owner_name": name, "iin": iin, "number": fmt.Sprintf("AA%08d", n(2)%1e8),
			"plate": fmt.Sprintf("%03d ABC 01", n(0)%1000), "vin": fmt.Sprintf("SANDBOX%010d", n(1)%1e10),
			"make_model": cars[n(3)%uint64(len(cars))], "year": fmt.Sprint(2010 + n(2)%15), "issued_on": date(now.AddDate(-int(n(0)%5), 0, 0))}
	case docs.KindAddressRegistration:
		f = map[string]string{"name": name, "iin": iin,
			"address":       fmt.Sprintf("%s, %s, %d, %d", town, streets[n(1)%uint64(len(streets))], 1+n(2)%150, 1+n(3)%300),
			"registered_on": date(now.AddDate(-int(n(2)%12), -int(n(3)%12), 0))}
	default:
		return nil, docs.ErrNoDocument
	}
	return &docs.Record{Kind: kind, Version: 1, Fields: f}, nil
}
