package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/senimkz/senim/internal/pd"
)

// The reminder policy is data: a versioned file per version under policy/, the newest
// in force. A notice records the version it was accepted under, so changing the file
// never changes what was promised to notices already sent.
//
//go:embed policy/*.json
var policyFiles embed.FS

// PolicyVersion is the version of the policy in force.
const PolicyVersion = "2026-12"

// Category is the policy of one category of notice.
type Category struct {
	// Titles name the category for people (the authorized body's console); Kazakh and
	// Russian are required.
	Titles pd.Titles `json:"titles"`
	// ReminderAfterHours: an unread notice is reminded of on the citizen's channels
	// this long after delivery (0: never), separately for legally significant notices
	// and others (Suomi.fi: 3 and 7 days).
	ReminderAfterHours struct {
		Significant int `json:"significant"`
		Other       int `json:"other"`
	} `json:"reminder_after_hours"`
	// FallbackChannel receives an unread notice once its read-by deadline has passed
	// ("" for none).
	FallbackChannel string `json:"fallback_channel"`
	// DeemedDeliveredAfterHours: a legally significant notice still unread this long
	// after delivery is deemed delivered (0: never; Austria and Germany: the third day).
	DeemedDeliveredAfterHours int `json:"deemed_delivered_after_hours"`
}

// Policy is one version of the policy file.
type Policy struct {
	Version         string              `json:"version"`
	Comment         string              `json:"comment"`
	DefaultCategory string              `json:"default_category"`
	Categories      map[string]Category `json:"categories"`
}

var categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ParsePolicy reads and checks a policy file.
func ParsePolicy(b []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("notify: policy: %w", err)
	}
	if p.Version == "" || len(p.Categories) == 0 {
		return nil, fmt.Errorf("notify: policy: version and categories are required")
	}
	if _, ok := p.Categories[p.DefaultCategory]; !ok {
		return nil, fmt.Errorf("notify: policy %s: default category %q is not defined", p.Version, p.DefaultCategory)
	}
	for k, c := range p.Categories {
		if !categoryPattern.MatchString(k) {
			return nil, fmt.Errorf("notify: policy %s: bad category key %q", p.Version, k)
		}
		if c.Titles.KK == "" || c.Titles.RU == "" {
			return nil, fmt.Errorf("notify: policy %s: %s: titles in kk and ru are required", p.Version, k)
		}
		if c.ReminderAfterHours.Significant < 0 || c.ReminderAfterHours.Other < 0 || c.DeemedDeliveredAfterHours < 0 {
			return nil, fmt.Errorf("notify: policy %s: %s: negative duration", p.Version, k)
		}
		if c.FallbackChannel != "" && c.FallbackChannel != ChannelSMS && c.FallbackChannel != ChannelEmail && c.FallbackChannel != ChannelPush {
			return nil, fmt.Errorf("notify: policy %s: %s: unknown fallback channel %q", p.Version, k, c.FallbackChannel)
		}
	}
	return &p, nil
}

// LoadPolicy returns the embedded policy of a version.
func LoadPolicy(version string) (*Policy, error) {
	b, err := policyFiles.ReadFile("policy/" + version + ".json")
	if err != nil {
		return nil, fmt.Errorf("notify: no policy version %q", version)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return nil, err
	}
	if p.Version != version {
		return nil, fmt.Errorf("notify: policy file %s says version %s", version, p.Version)
	}
	return p, nil
}

func hours(h int) time.Duration { return time.Duration(h) * time.Hour }

// reminderAfter is how long after delivery an unread notice is reminded of (0: never).
func (c Category) reminderAfter(significant bool) time.Duration {
	if significant {
		return hours(c.ReminderAfterHours.Significant)
	}
	return hours(c.ReminderAfterHours.Other)
}
