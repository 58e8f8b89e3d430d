package archive

import (
	"net/http"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes bounds a document's name.
const maxNameRunes = 128

// defaultName is the name of a document that came without one.
const defaultName = "document.bin"

// CleanName is the name a document is stored and shown under: the one it was given,
// trimmed, without control and format characters (a right-to-left override would make
// "cod.exe" read otherwise) and invalid UTF-8, at most 128 characters; defaultName when
// nothing is left. Any other character stays: "Договор №5, «аренда»" is a title, and
// pages escape what they show. The file name of a download or a container entry is
// derived from it by FileName.
func CleanName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(name) {
		if r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n++; n > maxNameRunes {
			break
		}
		b.WriteRune(r)
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		return s
	}
	return defaultName
}

// fileExt is a file name's extension as phones and desktops open files by.
var fileExt = regexp.MustCompile(`\.[A-Za-z0-9]{1,5}$`)

// extByType gives the extension of the content types http.DetectContentType names for
// what citizens and organisations sign.
var extByType = map[string]string{
	"application/pdf":  ".pdf",
	"text/plain":       ".txt",
	"text/xml":         ".xml",
	"application/zip":  ".zip",
	"image/png":        ".png",
	"image/jpeg":       ".jpg",
	"image/gif":        ".gif",
	"image/webp":       ".webp",
	"application/json": ".json",
}

// FileName is the name a document's bytes are saved under — a download, the entry of a
// container: the stored name with any character outside letters, digits, spaces and
// ._()-,№«» made "_", no leading dot, and an extension from the content when the name
// has none (a text signed in the cabinet is "Заявление.txt", so a phone opens it).
func FileName(name string, content []byte) string {
	var b strings.Builder
	for _, r := range CleanName(name) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.M, r), strings.ContainsRune(" ._()-,№«»", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ". ")
	if s == "" || s == "mimetype" {
		s = "document"
	}
	if !fileExt.MatchString(s) {
		ct, _, _ := strings.Cut(http.DetectContentType(content), ";")
		ext, ok := extByType[ct]
		if !ok {
			ext = ".bin"
		}
		s += ext
	}
	return path.Base(s)
}
