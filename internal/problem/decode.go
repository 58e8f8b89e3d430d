package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBody is the largest JSON request body DecodeJSON accepts unless told otherwise.
const DefaultMaxBody = 1 << 20

// DecodeJSON reads one JSON object from the request body into v. Unknown fields,
// trailing data, a wrong media type and bodies larger than max (DefaultMaxBody when max
// is 0) are refused with a problem that names the field where one is at fault.
func DecodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return UnsupportedMedia
		}
	}
	if max <= 0 {
		max = DefaultMaxBody
	}
	body := http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return TooLarge.WithDetail(fmt.Sprintf("the body may be at most %d bytes", mbe.Limit))
		}
		return MalformedJSON.WithDetail("unexpected data after the JSON object")
	}
	return nil
}

func decodeProblem(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return TooLarge.WithDetail(fmt.Sprintf("the body may be at most %d bytes", mbe.Limit))
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
		return MalformedJSON.WithDetail(fmt.Sprintf("field %q must be %s, not %s", field, jsonKind(ute.Type.Kind().String()), ute.Value)).With("field", field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return MalformedJSON.WithDetail(fmt.Sprintf("unknown field %q", field)).With("field", field)
	default:
		return MalformedJSON.WithCause(err)
	}
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

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}
