package api_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/senimkz/senim/api"
)

func TestSpecIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Log(doc.OpenAPI, len(doc.Paths.Map()))
	op := doc.Paths.Find("/cms/verify").Post
	t.Log(op.OperationID, op.Summary)
}
