package problem

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// DefaultMaxBody is the largest JSON request body DecodeJSON accepts unless told otherwise.
const DefaultMaxBody = 1 << 20

// The JSON request decoder. Every JSON route of the API decodes its body with
// DecodeJSON, or with ReadJSON and UnmarshalJSON when it needs the raw bytes too (to
// hash them for an Idempotency-Key). Each client mistake has its own stable code:
//
//	request.unsupported_media_type  415  Content-Type missing or not application/json
//	                                     (a charset parameter and +json types are fine)
//	request.too_large               413  the body is longer than the route accepts
//	request.malformed_json          400  empty, truncated or not JSON; not an object
//	request.trailing_data           400  anything but white space after the JSON value
//	request.unknown_field           400  a field the route does not know; "field" names it
//	request.field_type              400  a field of the wrong JSON type; "field" names it
//	request.invalid_base64          400  a binary field ([]byte) that is not standard Base64;
//	                                     "field" names it
//	request.invalid_field           400  a time that is not RFC 3339 (a date alone); "field" names it

// CheckMediaType refuses a request whose Content-Type is not JSON.
func CheckMediaType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return UnsupportedMedia.WithDetail("the Content-Type header is missing; send application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return UnsupportedMedia
	}
	return nil
}

// ReadJSON checks the media type and reads the whole body, at most max bytes
// (DefaultMaxBody when max is 0).
func ReadJSON(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if err := CheckMediaType(r); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, BodyUnreadable.WithCause(err)
	}
	return body, nil
}

// UnmarshalJSON decodes body, which must hold exactly one JSON object, into v.
// Unknown fields and trailing data are refused.
func UnmarshalJSON(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' {
		return MalformedJSON.WithDetail("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			field := timeField(body, reflect.TypeOf(v))
			if field == "" {
				field = "(body)"
			}
			return InvalidField.WithDetail(fmt.Sprintf("field %q must be an RFC 3339 date and time, e.g. 2027-06-01T00:00:00Z (a date alone is not enough)", field)).With("field", field)
		}
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return TrailingData.WithDetail("the body must hold one JSON object and nothing after it")
	}
	return nil
}

// DecodeJSON checks the media type, reads at most max bytes (DefaultMaxBody when max
// is 0) and decodes one JSON object into v (see UnmarshalJSON).
func DecodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body, err := ReadJSON(w, r, max)
	if err != nil {
		return err
	}
	return UnmarshalJSON(body, v)
}

func tooLarge(limit int64) *Problem {
	return TooLarge.WithDetail(fmt.Sprintf("the body may be at most %d bytes", limit))
}

func decodeProblem(err error) error {
	var (
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
		cie base64.CorruptInputError
	)
	switch {
	case errors.As(err, &cie):
		// A []byte member holds a string that is not Base64. encoding/json wraps the
		// base64 error in an UnmarshalTypeError that names the member; without one the
		// member is unknown.
		field := "(body)"
		if errors.As(err, &ute) && ute.Field != "" {
			field = ute.Field
		}
		return InvalidBase64.WithDetail(fmt.Sprintf("field %q must be standard Base64 (RFC 4648, with padding); it is not, at byte %d", field, int64(cie))).With("field", field)
	case errors.Is(err, io.EOF):
		return MalformedJSON.WithDetail("the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return MalformedJSON.WithDetail("the body ends in the middle of a JSON value")
	case errors.As(err, &se):
		return MalformedJSON.WithDetail(fmt.Sprintf("JSON syntax error at byte %d", se.Offset))
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "(body)"
		}
		return FieldType.WithDetail(fmt.Sprintf("field %q must be %s, not %s", field, jsonKind(ute.Type.Kind().String()), ute.Value)).With("field", field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return UnknownField.WithDetail(fmt.Sprintf("unknown field %q", field)).With("field", field)
	default:
		// An UnmarshalJSON method of v refused a value; its text may be internal.
		return MalformedJSON.WithCause(err)
	}
}

// timeField finds the member of body, decoded into a value of type t, that holds a
// time.Time which is not RFC 3339: its dotted path, or "".
func timeField(body []byte, t reflect.Type) string {
	var raw any
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	return findTime(raw, t, "")
}

var timeType = reflect.TypeOf(time.Time{})

func findTime(raw any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		s, ok := raw.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			return path
		}
	case t.Kind() == reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return ""
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				if p := findTime(raw, f.Type, path); p != "" {
					return p
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			var val any
			found := false
			for k, v := range obj { // encoding/json matches names case-insensitively
				if strings.EqualFold(k, name) {
					val, found = v, true
				}
			}
			if !found {
				continue
			}
			sub := name
			if path != "" {
				sub = path + "." + name
			}
			if p := findTime(val, f.Type, sub); p != "" {
				return p
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		arr, _ := raw.([]any)
		for i, v := range arr {
			if p := findTime(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	default:
		return "a number"
	}
}

// Field returns an InvalidField problem naming field.
func Field(field, detail string) *Problem {
	return InvalidField.WithDetail(fmt.Sprintf("%s: %s", field, detail)).With("field", field)
}

// WriteJSON writes v as JSON with the given status: HTML-escaped, with a final newline,
// and with the headers of every JSON answer (see jsonHeaders). An answer is personal or
// per-caller unless its handler says otherwise, so it is not stored by caches
// (Cache-Control: no-store) unless the handler set a Cache-Control of its own first.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	jsonHeaders(w.Header(), "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// jsonHeaders sets the headers every JSON answer carries, first or replayed.
func jsonHeaders(h http.Header, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
}

// ReplayedHeader marks an answer replayed for an Idempotency-Key.
const ReplayedHeader = "Idempotent-Replayed"

// WriteReplay writes the answer stored for an Idempotency-Key exactly as the first
// answer was written: the same status and body, the same Content-Type, nosniff and
// Cache-Control, and location as Location when the first answer had one (the family
// knows it from the body: "" for none); plus Idempotent-Replayed: true. Every family that
// stores idempotent answers replays them through here, so a client that retries after
// a lost answer cannot tell the replay from the first answer but by that header.
//
// A JSON body stored without the final newline WriteJSON ends with (json.Marshal's
// output) gets it back.
func WriteReplay(w http.ResponseWriter, status int, contentType string, body []byte, location string) error {
	h := w.Header()
	jsonHeaders(h, contentType)
	if location != "" {
		h.Set("Location", location)
	}
	h.Set(ReplayedHeader, "true")
	if isJSON(contentType) && len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(body[:len(body):len(body)], '\n')
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
