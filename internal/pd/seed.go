package pd

import (
	"context"
	"github.com/senimkz/senim/internal/actor"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/sandbox"
)

// StaticRepresentatives answers from a fixed list: minor IIN -> the IINs of their legal
// representatives. The sandbox uses it; production needs the civil registry.
type StaticRepresentatives map[string][]string

// IsRepresentative implements Representatives.
func (s StaticRepresentatives) IsRepresentative(_ context.Context, rep, minor string) (bool, error) {
	return slices.Contains(s[minor], rep), nil
}

// Sandbox directory codes (what SeedSandbox creates).
const (
	SandboxServiceCode  = "LOAN-KYC" // proactive service: banks and microfinance, identity + address
	SandboxGround       = "CPC-199"  // protocol mode, notify now
	SandboxGroundSecret = "ORD-12"   // protocol mode, notice deferred 30 days
	SandboxAccessMethod = "api"
)

// sandboxBINs returns the demo BINs by role.
func sandboxBINs() map[string][]string {
	out := map[string][]string{}
	for _, o := range sandbox.Demo().Organizations {
		out[o.Role] = append(out[o.Role], o.BIN)
	}
	return out
}

// SandboxRegisterBIN is the BIN of the demo population register (the data owner).
func SandboxRegisterBIN() string { return sandboxBINs()["state_body"][0] }

// SeedSandbox fills the directories for `serve --sandbox`: the demo population register
// as data owner (identity, address, family), the proactive service LOAN-KYC for the
// demo bank and microfinance company, the grounds CPC-199 (notify now) and ORD-12
// (notice deferred 30 days) for the demo police, and trusted-object entries for the
// demo bank's and police's systems. It does nothing when the last of these entries
// is already in the directory, so restarts do not repeat the events. Sandbox nodes
// starting together on one database may each seed (every step is an upsert): a node
// that finds a seeding half done completes it itself rather than serve, for the
// directory cache's lifetime, a directory without the police's grounds.
func (s *Service) SeedSandbox(ctx context.Context) error {
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	bins := sandboxBINs()
	register := bins["state_body"][0]
	objectOwners := append(slices.Clone(bins["bank"]), bins["law_enforcement"]...)
	if d.objects["demo-is-"+objectOwners[len(objectOwners)-1]] != nil {
		return nil // the trusted objects are seeded last
	}
	actor := actor.System.String()
	if _, err := s.PutDataOwner(ctx, actor, DataOwner{BIN: register, Name: "Population Register (demo state body)",
		Names: Titles{KK: "Халық тіркелімі (демо мемлекеттік орган)", RU: "Регистр населения (демо госорган)", EN: "Population Register (demo state body)"},
		DataSets: []DataSet{
			{Code: "identity", Title: "Identity card", Titles: Titles{KK: "Жеке куәлік деректері", RU: "Данные удостоверения личности", EN: "Identity card"}},
			{Code: "address", Title: "Registered address", Titles: Titles{KK: "Тіркелген мекенжай", RU: "Адрес регистрации", EN: "Registered address"}},
			{Code: "family", Title: "Family members", Titles: Titles{KK: "Отбасы мүшелері", RU: "Члены семьи", EN: "Family members"}}}}); err != nil {
		return err
	}
	initiators := append(slices.Clone(bins["bank"]), bins["microfinance"]...)
	if _, err := s.PutServiceCode(ctx, actor, ServiceCode{Code: SandboxServiceCode, Title: "Know your customer for a loan",
		Titles: Titles{KK: "Несие алу үшін клиентті сәйкестендіру", RU: "Идентификация клиента для кредита", EN: "Know your customer for a loan"}, Owner: register,
		DataSets: []string{"identity", "address"}, BINs: initiators, ConsentMethods: ConsentMethods,
		AccessMethods: []string{SandboxAccessMethod}, PeriodSeconds: 30 * 24 * 3600}); err != nil {
		return err
	}
	if _, err := s.PutGround(ctx, actor, Ground{Code: SandboxGround, Titles: Titles{
		KK: "ҚР ҚПК 199-бабы (тергеу әрекеттері)", RU: "Статья 199 УПК РК (следственные действия)", EN: "Criminal Procedure Code art. 199 (investigative actions)"},
		LegalRef: "Criminal Procedure Code of the Republic of Kazakhstan, art. 199"}); err != nil {
		return err
	}
	if _, err := s.PutGround(ctx, actor, Ground{Code: SandboxGroundSecret, Titles: Titles{
		KK: "Жедел-іздестіру қызметі (құпия)", RU: "Оперативно-розыскная деятельность (негласно)", EN: "Covert operational investigation"},
		LegalRef: "Law on operational investigative activity, art. 12", Notify: NotifyPeriod, NotifyPeriodSeconds: 30 * 24 * 3600}); err != nil {
		return err
	}
	for _, b := range bins["law_enforcement"] {
		if err := s.SetProtocolPermissions(ctx, actor, b, []string{SandboxGround, SandboxGroundSecret}); err != nil {
			return err
		}
	}
	expires := s.now().AddDate(3, 0, 0)
	for i, b := range objectOwners {
		if _, err := s.PutTrustedObject(ctx, actor, TrustedObject{ID: "demo-is-" + b, Kind: KindInformationSystem, OwnerBIN: b,
			Name: "Demo information system", Names: Titles{KK: "Демо ақпараттық жүйе", RU: "Демо информационная система", EN: "Demo information system"}, Version: "1.0", CertNumber: "SANDBOX-TR-" + string(rune('1'+i)),
			CertDate: s.now().Truncate(24 * time.Hour), CertExpires: expires, Status: StatusTrusted}); err != nil {
			return err
		}
	}
	return nil
}
