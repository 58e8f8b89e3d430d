// Package policy decides whether a transaction a citizen is asked to confirm needs an
// electronic digital signature (EDS) or whether a push confirmation is enough (rules
// DC-3 and DC-4 of the Digital Code).
//
// The thresholds and categories are data, not code: a versioned policy file (JSON,
// format "senim.kz/confirm/policy/v1"). The default is embedded (default.json) and
// `senim serve --confirm-policy FILE` replaces it without a rebuild. A file is checked
// completely when it is loaded; a policy that loads decides every well-formed
// transaction, and each Decision names the policy version that made it.
//
// Defaults (default.json, version 2026-01-default):
//
//   - MRP (the monthly calculation index) per year: 3,692 KZT (2024), 3,932 (2025),
//     4,325 (2026). A decision uses the MRP of its own year; a year the file does not
//     list is an error (ErrNoMRP), never a guess.
//   - long-term: more than 12 months (long_term_months); an open-ended lasting
//     transaction counts as long-term.
//   - short-term: at most 1 month (short_term_months).
//   - significant financial obligation: 100 MRP or more (432,500 KZT in 2026).
//   - push ceiling: a push is allowed only up to 10 MRP (43,250 KZT in 2026).
//   - kinds that always need an EDS: employment, real_estate, power_of_attorney,
//     guarantee; technical kinds: login_confirmation, contact_change.
//   - financial obligations: payment, repayment, interest, collateral, penalty.
//   - serious legal consequences: property_transfer, encumbrance, waiver_of_rights,
//     representation, employment_relation.
//   - amounts are in KZT; another currency only through rates_kzt (KZT per unit),
//     which is empty by default, so any other currency is refused (ErrCurrency).
//
// The decision, for rule DC-3 (an EDS is mandatory): the kind requires it, the term
// is long, the amount is a significant financial obligation, or a consequence is
// serious. For rule DC-4 (a push only for a one-time consent, a short-term or
// technical transaction, without substantial risk): the transaction is none of
// one-time, short-term or technical, or it carries a financial obligation above the
// push ceiling or of unstated amount. Any of these reasons makes it "eds"; with none
// the decision is "push" and its reasons say which DC-4 conditions held.
package policy

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Almaty without the host's zoneinfo

	"github.com/senimkz/senim/internal/problem"
)

// Format names the policy file format.
const Format = "senim.kz/confirm/policy/v1"

// Methods a decision chooses.
const (
	EDS  = "eds"
	Push = "push"
)

//go:embed default.json
var defaultJSON []byte

// Errors with stable codes. A transaction refused with one of them is not decided.
var (
	ErrPolicyInvalid = errors.New("confirm policy: invalid policy file")
	// ErrTransaction: the transaction is malformed (a field is missing, negative or absurd).
	ErrTransaction = problem.New(http.StatusBadRequest, "confirm.transaction.invalid", "The transaction description is invalid")
	// ErrKind: the kind is not in the policy.
	ErrKind = problem.New(http.StatusUnprocessableEntity, "confirm.transaction.unknown_kind", "The policy does not know this kind of transaction")
	// ErrCategory: an obligation or consequence category is not in the policy.
	ErrCategory = problem.New(http.StatusUnprocessableEntity, "confirm.transaction.unknown_category", "The policy does not know this obligation or consequence category")
	// ErrCurrency: not KZT and no rate is configured for it.
	ErrCurrency = problem.New(http.StatusUnprocessableEntity, "confirm.transaction.currency_unsupported", "Amounts are in KZT; this currency has no configured rate")
	// ErrNoMRP: the policy has no MRP for the year of the decision.
	ErrNoMRP = problem.New(http.StatusServiceUnavailable, "confirm.policy.no_mrp", "The policy has no MRP value for this year; the operator must update the policy file")
)

// Kind is a kind of transaction.
type Kind struct {
	RequiresEDS bool `json:"requires_eds"` // always an EDS (DC-3: serious legal consequences by nature)
	Technical   bool `json:"technical"`    // a technical transaction (DC-4)
}

// Obligation is a category of obligation the person takes on.
type Obligation struct {
	Financial bool `json:"financial"`
}

// Consequence is a category of legal consequence.
type Consequence struct {
	Serious bool `json:"serious"`
}

// File is the policy file as written.
type File struct {
	Format          string                 `json:"format"`
	Version         string                 `json:"version"`
	Description     string                 `json:"description,omitempty"`
	MRP             map[string]int64       `json:"mrp_kzt"`
	LongTermMonths  int                    `json:"long_term_months"`
	ShortTermMonths int                    `json:"short_term_months"`
	SignificantMRP  int64                  `json:"significant_obligation_mrp"`
	PushCeilingMRP  int64                  `json:"push_ceiling_mrp"`
	MaxAmountKZT    string                 `json:"max_amount_kzt"`
	Kinds           map[string]Kind        `json:"kinds"`
	Obligations     map[string]Obligation  `json:"obligations"`
	Consequences    map[string]Consequence `json:"consequences"`
	RatesKZT        map[string]string      `json:"rates_kzt"` // currency -> KZT per unit, decimal
}

// Policy is a loaded, checked policy. It is immutable and safe for concurrent use.
type Policy struct {
	f         File
	mrp       map[int]int64 // year -> KZT
	maxAmount int64         // tiyn
	rates     map[string]*big.Rat
}

// Version is the policy's version, recorded with each decision.
func (p *Policy) Version() string { return p.f.Version }

// File returns a copy of the policy as loaded (for documentation pages).
func (p *Policy) File() File { return p.f }

// Default returns the embedded default policy.
func Default() *Policy {
	p, err := Parse(defaultJSON)
	if err != nil {
		panic("confirm policy: the embedded default does not load: " + err.Error())
	}
	return p
}

// DefaultJSON returns the embedded default policy file, a starting point for a
// deployment's own.
func DefaultJSON() []byte { return slices.Clone(defaultJSON) }

// LoadFile loads and checks a policy file.
func LoadFile(name string) (*Policy, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("%w: %s is larger than 1 MiB", ErrPolicyInvalid, name)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

var (
	namePattern     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	versionPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Parse decodes and checks a policy file: every field present and in range, the
// thresholds consistent with each other, every name well-formed. Errors wrap
// ErrPolicyInvalid and say what is wrong.
func Parse(b []byte) (*Policy, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicyInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrPolicyInvalid)
	}
	bad := func(format string, a ...any) (*Policy, error) {
		return nil, fmt.Errorf("%w: %s", ErrPolicyInvalid, fmt.Sprintf(format, a...))
	}
	switch {
	case f.Format != Format:
		return bad("format must be %q", Format)
	case !versionPattern.MatchString(f.Version):
		return bad("version must be 1 to 64 letters, digits, '.', '_' or '-'")
	case len(f.MRP) == 0:
		return bad("mrp_kzt must list the MRP of at least one year")
	case f.LongTermMonths < 1 || f.LongTermMonths > 600:
		return bad("long_term_months must be 1 to 600")
	case f.ShortTermMonths < 0 || f.ShortTermMonths > f.LongTermMonths:
		return bad("short_term_months must be 0 to long_term_months")
	case f.SignificantMRP < 1 || f.SignificantMRP > 1_000_000:
		return bad("significant_obligation_mrp must be 1 to 1000000")
	case f.PushCeilingMRP < 0 || f.PushCeilingMRP > f.SignificantMRP:
		return bad("push_ceiling_mrp must be 0 to significant_obligation_mrp")
	case len(f.Kinds) == 0 || len(f.Obligations) == 0 || len(f.Consequences) == 0:
		return bad("kinds, obligations and consequences must each name at least one category")
	}
	p := &Policy{f: f, mrp: map[int]int64{}, rates: map[string]*big.Rat{}}
	for y, v := range f.MRP {
		year, err := strconv.Atoi(y)
		if err != nil || year < 2000 || year > 2100 || strconv.Itoa(year) != y {
			return bad("mrp_kzt: %q is not a year from 2000 to 2100", y)
		}
		if v < 1 || v > 1_000_000 {
			return bad("mrp_kzt[%s] must be 1 to 1000000 KZT", y)
		}
		p.mrp[year] = v
	}
	maxAmount, err := parseAmount(f.MaxAmountKZT)
	if err != nil || maxAmount <= 0 || maxAmount > maxTiyn {
		return bad("max_amount_kzt must be a positive KZT amount up to 10^15")
	}
	p.maxAmount = maxAmount
	for _, m := range []map[string]bool{names(f.Kinds), names(f.Obligations), names(f.Consequences)} {
		for n := range m {
			if !namePattern.MatchString(n) {
				return bad("category %q: names are lower-case letters, digits and '_'", n)
			}
		}
	}
	for k, kind := range f.Kinds {
		if kind.RequiresEDS && kind.Technical {
			return bad("kind %q cannot both require an EDS and be technical", k)
		}
	}
	for c, r := range f.RatesKZT {
		if !currencyPattern.MatchString(c) || c == "KZT" {
			return bad("rates_kzt: %q is not an ISO 4217 code other than KZT", c)
		}
		rat, ok := new(big.Rat).SetString(r)
		if !ok || rat.Sign() <= 0 || rat.Cmp(big.NewRat(1_000_000, 1)) > 0 || !decimalPattern.MatchString(r) {
			return bad("rates_kzt[%s] must be a positive decimal of at most 1000000 KZT per unit", c)
		}
		p.rates[c] = rat
	}
	return p, nil
}

func names[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// Transaction is what a relying party asks a citizen to confirm, described for the
// policy.
type Transaction struct {
	Kind string `json:"kind"`
	// TermMonths is how long the transaction binds: 0 for none (a one-time act, or
	// open-ended when not OneTime).
	TermMonths int `json:"term_months"`
	// Amount is the financial obligation in Currency, a decimal with at most two
	// fraction digits ("2000000", "1500.50"); "" or "0" for none.
	Amount   string `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"` // ISO 4217; KZT when empty
	// Obligations and Consequences are categories of the policy.
	Obligations  []string `json:"obligations"`
	Consequences []string `json:"consequences"`
	// OneTime: a single act at a moment (a one-time consent), not a lasting relation.
	OneTime bool `json:"one_time"`
}

// Reason is one rule that fired or one condition that held, in language-neutral
// terms: the cabinet renders it in plain words from its catalog (confirm.reason.<Code>).
type Reason struct {
	Rule  string `json:"rule"`            // DC-3 or DC-4
	Code  string `json:"code"`            // see the Reason codes
	Value string `json:"value,omitempty"` // what the transaction has, e.g. "24" (months), "2000000" (KZT)
	Limit string `json:"limit,omitempty"` // the threshold, e.g. "12", "432500"
	Item  string `json:"item,omitempty"`  // the kind or category that fired
}

// Reason codes. EDS reasons first, then the push conditions.
const (
	ReasonKindRequiresEDS      = "kind_requires_eds"      // DC-3, Item = kind
	ReasonLongTerm             = "long_term"              // DC-3, Value months > Limit
	ReasonOpenEnded            = "open_ended"             // DC-3, a lasting transaction without an end
	ReasonSignificantAmount    = "significant_amount"     // DC-3, Value KZT >= Limit KZT (MRP × significant_obligation_mrp)
	ReasonSeriousConsequence   = "serious_consequence"    // DC-3, Item = category
	ReasonNotMomentary         = "not_momentary"          // DC-4, lasting, longer than Limit months, not technical
	ReasonAbovePushCeiling     = "above_push_ceiling"     // DC-4, Value KZT > Limit KZT
	ReasonUnstatedAmount       = "unstated_amount"        // DC-4, a financial obligation without an amount; Item = category
	ReasonOneTime              = "one_time"               // DC-4 held: a one-time act
	ReasonShortTerm            = "short_term"             // DC-4 held: Value months <= Limit
	ReasonTechnical            = "technical"              // DC-4 held: Item = kind
	ReasonWithinPushCeiling    = "within_push_ceiling"    // DC-4 held: Value KZT <= Limit KZT
	ReasonNoSeriousConsequence = "no_serious_consequence" // DC-4 held: no serious legal consequence
)

// Decision is the policy's answer.
type Decision struct {
	Method        string   `json:"method"` // eds | push
	Reasons       []Reason `json:"reasons"`
	PolicyVersion string   `json:"policy_version"`
	Year          int      `json:"mrp_year"`
	MRP           int64    `json:"mrp_kzt"`
	// AmountKZT is the amount converted to KZT (tiyn dropped), "0" for none.
	AmountKZT string `json:"amount_kzt"`
}

// Limits of a transaction description.
const (
	maxTermMonths = 1200 // 100 years
	maxCategories = 32
	maxTiyn       = 100_000_000_000_000_000 // 10^15 KZT in tiyn
)

// Decide decides what tx needs at time at (whose year picks the MRP). A malformed
// transaction, an unknown kind, category or currency, or a year without an MRP is an
// error with a stable code, and nothing is decided.
func (p *Policy) Decide(tx Transaction, at time.Time) (Decision, error) {
	kind, ok := p.f.Kinds[tx.Kind]
	switch {
	case tx.Kind == "":
		return Decision{}, ErrTransaction.WithDetail("kind is required")
	case !ok:
		return Decision{}, ErrKind.WithDetail("unknown kind " + strconv.Quote(trunc(tx.Kind)))
	case tx.TermMonths < 0 || tx.TermMonths > maxTermMonths:
		return Decision{}, ErrTransaction.WithDetail("term_months must be 0 to 1200")
	case len(tx.Obligations) > maxCategories || len(tx.Consequences) > maxCategories:
		return Decision{}, ErrTransaction.WithDetail("at most 32 obligations and 32 consequences")
	}
	year := at.In(almaty).Year()
	mrp, ok := p.mrp[year]
	if !ok {
		return Decision{}, ErrNoMRP.WithDetail(fmt.Sprintf("policy %s has no MRP for %d", p.f.Version, year))
	}
	amount, err := p.amountKZT(tx.Amount, tx.Currency)
	if err != nil {
		return Decision{}, err
	}
	financial, unstated := false, ""
	for _, o := range tx.Obligations {
		ob, ok := p.f.Obligations[o]
		if !ok {
			return Decision{}, ErrCategory.WithDetail("unknown obligation " + strconv.Quote(trunc(o)))
		}
		if ob.Financial {
			financial = true
			if amount == 0 && unstated == "" {
				unstated = o
			}
		}
	}
	if amount > 0 && !financial {
		return Decision{}, ErrTransaction.WithDetail("an amount needs a financial obligation (payment, repayment, ...) that it is the amount of")
	}
	var serious []string
	for _, c := range tx.Consequences {
		cq, ok := p.f.Consequences[c]
		if !ok {
			return Decision{}, ErrCategory.WithDetail("unknown consequence " + strconv.Quote(trunc(c)))
		}
		if cq.Serious && !slices.Contains(serious, c) {
			serious = append(serious, c)
		}
	}

	d := Decision{PolicyVersion: p.f.Version, Year: year, MRP: mrp, AmountKZT: kzt(amount)}
	eds := make([]Reason, 0, 4)
	// Rule DC-3: an EDS is mandatory.
	if kind.RequiresEDS {
		eds = append(eds, Reason{Rule: "DC-3", Code: ReasonKindRequiresEDS, Item: tx.Kind})
	}
	switch {
	case tx.TermMonths > p.f.LongTermMonths:
		eds = append(eds, Reason{Rule: "DC-3", Code: ReasonLongTerm, Value: strconv.Itoa(tx.TermMonths), Limit: strconv.Itoa(p.f.LongTermMonths)})
	case !tx.OneTime && tx.TermMonths == 0 && !kind.Technical:
		eds = append(eds, Reason{Rule: "DC-3", Code: ReasonOpenEnded})
	}
	significant := p.f.SignificantMRP * mrp * 100
	if amount >= significant {
		eds = append(eds, Reason{Rule: "DC-3", Code: ReasonSignificantAmount, Value: kzt(amount), Limit: kzt(significant)})
	}
	for _, c := range serious {
		eds = append(eds, Reason{Rule: "DC-3", Code: ReasonSeriousConsequence, Item: c})
	}
	// Rule DC-4: a push only for a one-time, short-term or technical transaction
	// without substantial financial or legal risk.
	shortTerm := tx.TermMonths > 0 && tx.TermMonths <= p.f.ShortTermMonths
	if !tx.OneTime && !shortTerm && !kind.Technical && tx.TermMonths != 0 {
		eds = append(eds, Reason{Rule: "DC-4", Code: ReasonNotMomentary, Value: strconv.Itoa(tx.TermMonths), Limit: strconv.Itoa(p.f.ShortTermMonths)})
	}
	ceiling := p.f.PushCeilingMRP * mrp * 100
	if amount > ceiling {
		eds = append(eds, Reason{Rule: "DC-4", Code: ReasonAbovePushCeiling, Value: kzt(amount), Limit: kzt(ceiling)})
	}
	if unstated != "" {
		eds = append(eds, Reason{Rule: "DC-4", Code: ReasonUnstatedAmount, Item: unstated})
	}
	if len(eds) > 0 {
		d.Method, d.Reasons = EDS, eds
		return d, nil
	}
	d.Method = Push
	push := make([]Reason, 0, 3)
	switch {
	case tx.OneTime:
		push = append(push, Reason{Rule: "DC-4", Code: ReasonOneTime})
	case kind.Technical:
		push = append(push, Reason{Rule: "DC-4", Code: ReasonTechnical, Item: tx.Kind})
	default:
		push = append(push, Reason{Rule: "DC-4", Code: ReasonShortTerm, Value: strconv.Itoa(tx.TermMonths), Limit: strconv.Itoa(p.f.ShortTermMonths)})
	}
	push = append(push, Reason{Rule: "DC-4", Code: ReasonWithinPushCeiling, Value: kzt(amount), Limit: kzt(ceiling)},
		Reason{Rule: "DC-4", Code: ReasonNoSeriousConsequence})
	d.Reasons = push
	return d, nil
}

// amountKZT converts a decimal amount in currency to tiyn (1/100 KZT).
func (p *Policy) amountKZT(amount, currency string) (int64, error) {
	if currency == "" {
		currency = "KZT"
	}
	if !currencyPattern.MatchString(currency) {
		return 0, ErrTransaction.WithDetail("currency must be an ISO 4217 code such as KZT")
	}
	if amount == "" {
		amount = "0"
	}
	v, err := parseAmount(amount)
	if err != nil {
		return 0, ErrTransaction.WithDetail("amount: " + err.Error())
	}
	if currency != "KZT" {
		rate, ok := p.rates[currency]
		if !ok {
			return 0, ErrCurrency.WithDetail("no rate for " + currency + " in policy " + p.f.Version + "; give the amount in KZT")
		}
		r := new(big.Rat).Mul(new(big.Rat).SetInt64(v), rate)
		q := new(big.Int).Quo(r.Num(), r.Denom()) // truncated: a conversion never rounds a limit away
		if !q.IsInt64() || q.Int64() > p.maxAmount {
			return 0, ErrTransaction.WithDetail("amount: larger than any plausible transaction (max_amount_kzt)")
		}
		v = q.Int64()
	}
	if v > p.maxAmount {
		return 0, ErrTransaction.WithDetail("amount: larger than any plausible transaction (max_amount_kzt)")
	}
	return v, nil
}

var decimalPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`)

// parseAmount parses a non-negative decimal with at most two fraction digits into
// hundredths.
func parseAmount(s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 16 || (len(whole) > 1 && whole[0] == '0') || dot && (len(frac) < 1 || len(frac) > 2) {
		return 0, errors.New("a non-negative decimal with at most two fraction digits, such as 2000000 or 1500.50")
	}
	var v int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, errors.New("a non-negative decimal with at most two fraction digits, such as 2000000 or 1500.50")
		}
	}
	for _, c := range whole {
		v = v*10 + int64(c-'0')
	}
	f := frac + "00"[len(frac):]
	return v*100 + int64(f[0]-'0')*10 + int64(f[1]-'0'), nil
}

// kzt renders tiyn as whole KZT (the fraction dropped).
func kzt(tiyn int64) string { return strconv.FormatInt(tiyn/100, 10) }

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// almaty is Kazakhstan's time zone: the MRP of a year is the one in force there.
var almaty = func() *time.Location {
	l, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		return time.FixedZone("UTC+5", 5*3600)
	}
	return l
}()
