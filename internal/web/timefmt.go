package web

import (
	"html/template"
	"time"
)

// Times are written for people by i18n.When and i18n.Date (Kazakhstan's time, in the
// page's language); notices use the same functions, so a time reads the same
// everywhere.

// timeHTML is a <time> element: the machine-readable instant and the text for people.
func timeHTML(text string, t time.Time) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + template.HTMLEscapeString(text) + `</time>`)
}
