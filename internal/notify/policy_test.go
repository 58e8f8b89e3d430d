package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/pd"
)

// Every category of the policy in force is named for people in Kazakh and Russian, so
// the console never shows a bare code; a file without names is refused.
func TestPolicyCategoryTitles(t *testing.T) {
	p, err := LoadPolicy(PolicyVersion)
	if err != nil {
		t.Fatal(err)
	}
	for code, c := range p.Categories {
		for _, lang := range []string{"kk", "ru", "en"} {
			if title := c.Titles.In(lang); title == "" || title == code {
				t.Errorf("%s in %s: %q", code, lang, title)
			}
		}
	}
	s := &Service{policy: p}
	if got := s.CategoryTitle("tax", "kk"); got != "Салық" {
		t.Errorf("tax in kk: %q", got)
	}
	if got := s.CategoryTitle("lottery", "kk"); got != "lottery" {
		t.Errorf("an unknown code: %q", got)
	}
	// English is optional: Russian stands in.
	if got := (pd.Titles{KK: "Салық", RU: "Налоги"}).In("en"); got != "Налоги" {
		t.Errorf("no English: %q", got)
	}

	for name, file := range map[string]string{
		"no titles": `{"version":"x","default_category":"general","categories":{"general":{"reminder_after_hours":{"significant":1,"other":1}}}}`,
		"no kk":     `{"version":"x","default_category":"general","categories":{"general":{"titles":{"ru":"Общие"},"reminder_after_hours":{"significant":1,"other":1}}}}`,
	} {
		if _, err := ParsePolicy([]byte(file)); err == nil || !strings.Contains(err.Error(), "titles") {
			t.Errorf("%s: %v", name, err)
		}
	}
	ok := `{"version":"x","default_category":"general","categories":{"general":{"titles":{"kk":"Жалпы","ru":"Общие"},"reminder_after_hours":{"significant":1,"other":1}}}}`
	if _, err := ParsePolicy([]byte(ok)); err != nil {
		t.Errorf("kk and ru only: %v", err)
	}
}
