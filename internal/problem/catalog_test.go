package problem

import (
	"strings"
	"testing"
	"time"
)

type withTimes struct {
	ValidUntil time.Time `json:"valid_until"`
	Inner      struct {
		At *time.Time `json:"at"`
	} `json:"inner"`
	List []struct {
		When time.Time `json:"when"`
	} `json:"list"`
}

// A time that is not RFC 3339 is refused naming its field and the format expected
// (issue 16: a date-only valid_until said only "not valid JSON").
func TestTimeFieldsAreNamed(t *testing.T) {
	for body, field := range map[string]string{
		`{"valid_until":"2027-06-01"}`:                                           "valid_until",
		`{"VALID_UNTIL":"tomorrow"}`:                                             "valid_until",
		`{"valid_until":"2027-06-01T00:00:00Z","inner":{"at":"1 June 2027"}}`:    "inner.at",
		`{"list":[{"when":"2027-06-01T00:00:00Z"},{"when":"2027-06-01 10:00"}]}`: "list[1].when",
	} {
		var v withTimes
		err := UnmarshalJSON([]byte(body), &v)
		p := From(err)
		if p.Code != "request.invalid_field" || p.Extra["field"] != field || !strings.Contains(p.Detail, "RFC 3339") {
			t.Errorf("%s: %v (field %v), want request.invalid_field naming %s", body, err, p.Extra["field"], field)
		}
	}
	var v withTimes
	if err := UnmarshalJSON([]byte(`{"valid_until":"2027-06-01T00:00:00+05:00"}`), &v); err != nil {
		t.Fatalf("an RFC 3339 time refused: %v", err)
	}
}

// Every problem made with New is in the catalogue, with the rule named by WithRule,
// and advice is found by code or by the longest prefix.
func TestCatalog(t *testing.T) {
	New(418, "test.catalog.sample", "A sample").WithRule("PD-3.3").WithDetail("x")
	var got *Entry
	for _, e := range Catalog() {
		if e.Code == "test.catalog.sample" {
			got = &e
		}
	}
	if got == nil || got.Status != 418 || got.Rule != "PD-3.3" || got.Title != "A sample" {
		t.Fatalf("catalogue entry %+v", got)
	}
	if got.Todo != "" {
		t.Fatalf("a code with no advice got %q", got.Todo)
	}
	if Todo("pd.verification_token.too_old") == Todo("pd.verification_token.missing") || Todo("eds.cms.malformed") == "" || Todo("eds.cms.malformed") != Todo("eds.cms.no_signers") {
		t.Fatal("advice lookup by code and prefix is wrong")
	}
}
