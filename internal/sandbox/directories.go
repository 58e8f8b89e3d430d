package sandbox

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/pd"
)

// demoBINs returns the demo BINs by role.
func demoBINs() map[string][]string {
	out := map[string][]string{}
	for _, o := range Demo().Organizations {
		out[o.Role] = append(out[o.Role], o.BIN)
	}
	return out
}

// RegisterBIN is the BIN of the demo population register (the data owner).
func RegisterBIN() string { return demoBINs()["state_body"][0] }

// SeedDirectories fills pd's directories for `serve --sandbox`: the demo population register
// as data owner (identity, address, family), the proactive service LOAN-KYC for the
// demo bank and microfinance company, the grounds CPC-199 (notify now) and ORD-12
// (notice deferred 30 days) for the demo police, and trusted-object entries for the
// demo bank's and police's systems. It does nothing when the last of these entries
// is already in the directory, so restarts do not repeat the events. Sandbox nodes
// starting together on one database may each seed (every step is an upsert): a node
// that finds a seeding half done completes it itself rather than serve, for the
// directory cache's lifetime, a directory without the police's grounds.
// The entries are dated from now.
func SeedDirectories(ctx context.Context, s *pd.Service, now time.Time) error {
	bins := demoBINs()
	register := bins["state_body"][0]
	objectOwners := append(slices.Clone(bins["bank"]), bins["law_enforcement"]...)
	if _, err := s.TrustedObject(ctx, "demo-is-"+objectOwners[len(objectOwners)-1]); err == nil {
		return nil // the trusted objects are seeded last
	} else if !errors.Is(err, pd.ErrNotFound) {
		return err
	}
	sys := actor.System.String()
	if _, err := s.PutDataOwner(ctx, sys, pd.DataOwner{BIN: register, Name: "Population Register (demo state body)",
		Names: pd.Titles{KK: "Халық тіркелімі (демо мемлекеттік орган)", RU: "Регистр населения (демо госорган)", EN: "Population Register (demo state body)"},
		DataSets: []pd.DataSet{
			{Code: "identity", Title: "Identity card", Titles: pd.Titles{KK: "Жеке куәлік деректері", RU: "Данные удостоверения личности", EN: "Identity card"}},
			{Code: "address", Title: "Registered address", Titles: pd.Titles{KK: "Тіркелген мекенжай", RU: "Адрес регистрации", EN: "Registered address"}},
			{Code: "family", Title: "Family members", Titles: pd.Titles{KK: "Отбасы мүшелері", RU: "Члены семьи", EN: "Family members"}}}}); err != nil {
		return err
	}
	initiators := append(slices.Clone(bins["bank"]), bins["microfinance"]...)
	if _, err := s.PutServiceCode(ctx, sys, pd.ServiceCode{Code: pd.SandboxServiceCode, Title: "Know your customer for a loan",
		Titles: pd.Titles{KK: "Несие алу үшін клиентті сәйкестендіру", RU: "Идентификация клиента для кредита", EN: "Know your customer for a loan"}, Owner: register,
		DataSets: []string{"identity", "address"}, BINs: initiators, ConsentMethods: pd.ConsentMethods,
		AccessMethods: []string{pd.SandboxAccessMethod}, PeriodSeconds: 30 * 24 * 3600}); err != nil {
		return err
	}
	if _, err := s.PutGround(ctx, sys, pd.Ground{Code: pd.SandboxGround, Titles: pd.Titles{
		KK: "ҚР ҚПК 199-бабы (тергеу әрекеттері)", RU: "Статья 199 УПК РК (следственные действия)", EN: "Criminal Procedure Code art. 199 (investigative actions)"},
		LegalRef: "Criminal Procedure Code of the Republic of Kazakhstan, art. 199",
		LegalRefs: pd.Titles{KK: "Қазақстан Республикасы Қылмыстық-процестік кодексінің 199-бабы",
			RU: "Уголовно-процессуальный кодекс Республики Казахстан, статья 199", EN: "Criminal Procedure Code of the Republic of Kazakhstan, art. 199"}}); err != nil {
		return err
	}
	if _, err := s.PutGround(ctx, sys, pd.Ground{Code: pd.SandboxGroundSecret, Titles: pd.Titles{
		KK: "Жедел-іздестіру қызметі (құпия)", RU: "Оперативно-розыскная деятельность (негласно)", EN: "Covert operational investigation"},
		LegalRef: "Law on operational investigative activity, art. 12",
		LegalRefs: pd.Titles{KK: "«Жедел-іздестіру қызметі туралы» Қазақстан Республикасы Заңының 12-бабы",
			RU: "Закон Республики Казахстан «Об оперативно-розыскной деятельности», статья 12", EN: "Law on operational investigative activity, art. 12"},
		Notify: pd.NotifyPeriod, NotifyPeriodSeconds: 30 * 24 * 3600}); err != nil {
		return err
	}
	for _, b := range bins["law_enforcement"] {
		if err := s.SetProtocolPermissions(ctx, sys, b, []string{pd.SandboxGround, pd.SandboxGroundSecret}); err != nil {
			return err
		}
	}
	expires := now.AddDate(3, 0, 0)
	for i, b := range objectOwners {
		if _, err := s.PutTrustedObject(ctx, sys, pd.TrustedObject{ID: "demo-is-" + b, Kind: pd.KindInformationSystem, OwnerBIN: b,
			Name: "Demo information system", Names: pd.Titles{KK: "Демо ақпараттық жүйе", RU: "Демо информационная система", EN: "Demo information system"}, Version: "1.0", CertNumber: "SANDBOX-TR-" + string(rune('1'+i)),
			CertDate: now.Truncate(24 * time.Hour), CertExpires: expires, Status: pd.StatusTrusted}); err != nil {
			return err
		}
	}
	return nil
}
