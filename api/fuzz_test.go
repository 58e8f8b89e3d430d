package api_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/senimkz/senim/api"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/webhook"
)

// FuzzRequestDecoders feeds the JSON decoder of the public API's request bodies
// (problem.UnmarshalJSON into each route's request type) with the document's request
// examples as seeds, and mutations of them: it never panics, and every refusal is a
// client problem (4xx) with a stable code — a field-naming one where a field is at fault.
func FuzzRequestDecoders(f *testing.F) {
	doc, err := api.Load()
	if err != nil {
		f.Fatal(err)
	}
	seeds := 0
	for _, o := range api.Operations(doc) {
		if o.Op.RequestBody == nil || o.Op.RequestBody.Value == nil {
			continue
		}
		for _, mt := range o.Op.RequestBody.Value.Content {
			for _, ex := range mt.Examples {
				b, err := json.Marshal(ex.Value.Value)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
				seeds++
			}
		}
	}
	if seeds < 4 {
		f.Fatalf("only %d request examples in api/openapi.yaml", seeds)
	}
	f.Add([]byte(`{"valid_until":"2027-06-01"}`))
	f.Add([]byte(`{"subject":1}`))
	targets := []func() any{
		func() any { return &pd.ConsentRequest{} },
		func() any { return &pd.SMSRequest{} },
		func() any { return &pd.Report{} },
		func() any { return &webhook.SubscribeRequest{} },
		func() any {
			return &struct {
				VerificationToken string `json:"verification_token"`
			}{}
		},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range targets {
			err := problem.UnmarshalJSON(body, mk())
			if err == nil {
				continue
			}
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 || p.Code == "" {
				t.Fatalf("%q: %v is not a client problem", body, err)
			}
			if (p.Code == "request.unknown_field" || p.Code == "request.field_type" || p.Code == "request.invalid_field") && p.Extra["field"] == nil {
				t.Fatalf("%q: %s names no field", body, p.Code)
			}
		}
	})
}
