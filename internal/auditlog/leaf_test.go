package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// The leaf of a security-token issuance binds the token (v2): its token line is
// SHA-256("senim.kz/log/token/v1\n" || jti), in open and in sealed leaves; every
// other leaf stays v1. The binding is what lets a data owner refuse the proof of
// another event under the token's evt (verifier.ErrLogWrongEvent).
func TestTokenBinding(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, SaltSize)
	want := sha256.Sum256([]byte("senim.kz/log/token/v1\ntok-1"))
	if !bytes.Equal(TokenBinding("tok-1"), want[:]) {
		t.Fatalf("TokenBinding is not SHA-256 of the label and the jti")
	}
	until := testNow.Add(24 * time.Hour).Format(time.RFC3339)
	issued := store.Event{ID: 42, Type: TokenEventType, Actor: "org:990140000123", Subject: "citizen:5", CreatedAt: testNow,
		Payload: json.RawMessage(`{"jti":"tok-1","flow":"protocol"}`)}
	sealed := issued
	sealed.Payload = json.RawMessage(`{"jti":"tok-1","sealed_until":"` + until + `"}`)
	tests := []struct {
		name   string
		e      store.Event
		token  []byte // nil: a v1 leaf
		sealed bool
	}{
		{"token issuance", issued, want[:], false},
		{"sealed token issuance", sealed, want[:], true},
		{"another event type with a jti", store.Event{ID: 43, Type: "pd.access.notice", Actor: "system", Subject: "citizen:5", CreatedAt: testNow,
			Payload: json.RawMessage(`{"jti":"tok-1"}`)}, nil, false},
		{"token issuance without jti", store.Event{ID: 44, Type: TokenEventType, Actor: "org:990140000123", CreatedAt: testNow,
			Payload: json.RawMessage(`{"flow":"protocol"}`)}, nil, false},
		{"jti not a string", store.Event{ID: 45, Type: TokenEventType, Actor: "org:990140000123", CreatedAt: testNow,
			Payload: json.RawMessage(`{"jti":17}`)}, nil, false},
		{"jti member in another case", store.Event{ID: 46, Type: TokenEventType, Actor: "org:990140000123", CreatedAt: testNow,
			Payload: json.RawMessage(`{"JTI":"tok-1"}`)}, nil, false},
		{"no payload", store.Event{ID: 47, Type: TokenEventType, Actor: "org:990140000123", CreatedAt: testNow}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leaf := BuildLeaf(tc.e, salt)
			l, err := ParseLeaf(leaf)
			if err != nil {
				t.Fatalf("ParseLeaf: %v\n%s", err, leaf)
			}
			if !bytes.Equal(l.Token, tc.token) || (l.Sealed != nil) != tc.sealed || l.EventID != tc.e.ID {
				t.Fatalf("parsed %+v\n%s", l, leaf)
			}
			header := LeafHeader
			if tc.token != nil {
				header = LeafHeaderV2
			}
			if !bytes.HasPrefix(leaf, []byte(header+"\n")) {
				t.Fatalf("leaf does not start with %s:\n%s", header, leaf)
			}
			if bytes.Contains(leaf, []byte("tok-1")) || (tc.sealed && bytes.Contains(leaf, []byte("990140000123"))) {
				t.Fatalf("leaf reveals the jti or a sealed initiator:\n%s", leaf)
			}
			if err := CheckOpening(leaf, tc.e, OpeningFor(tc.e, salt)); err != nil {
				t.Fatalf("CheckOpening: %v", err)
			}
		})
	}

	// A sealed leaf whose public token line is another token's does not open, even
	// though the commitment inside is right.
	leaf := BuildLeaf(sealed, salt)
	forged := bytes.Replace(leaf, []byte(b64(want[:])), []byte(b64(TokenBinding("other"))), 1)
	if err := CheckOpening(forged, sealed, OpeningFor(sealed, salt)); !errors.Is(err, ErrOpeningMismatch) {
		t.Errorf("sealed leaf with another token line: %v, want %v", err, ErrOpeningMismatch)
	}
	// An open leaf under another token's binding does not open either.
	other := issued
	other.Payload = json.RawMessage(`{"jti":"tok-2","flow":"protocol"}`)
	if err := CheckOpening(BuildLeaf(issued, salt), other, OpeningFor(other, salt)); !errors.Is(err, ErrOpeningMismatch) {
		t.Errorf("open leaf of another token: %v, want %v", err, ErrOpeningMismatch)
	}
}

// ParseLeaf keeps the two formats apart: a token line only in v2, always in v2.
func TestParseLeafVersions(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, SaltSize)
	v2 := string(BuildLeaf(store.Event{ID: 42, Type: TokenEventType, Actor: "org:990140000123", CreatedAt: testNow,
		Payload: json.RawMessage(`{"jti":"tok-1"}`)}, salt))
	v1 := string(BuildLeaf(store.Event{ID: 42, Type: "pd.consent.given", Actor: "org:990140000123", CreatedAt: testNow}, salt))
	tokenLine := "token " + b64(TokenBinding("tok-1")) + "\n"
	for name, leaf := range map[string]string{
		"v2 without token line":   strings.Replace(v2, tokenLine, "", 1),
		"v1 with a token line":    strings.Replace(v2, LeafHeaderV2, LeafHeader, 1),
		"v2 header on a v1 leaf":  strings.Replace(v1, LeafHeader, LeafHeaderV2, 1),
		"token line out of place": strings.Replace(strings.Replace(v2, tokenLine, "", 1), "details", tokenLine+"details", 1),
		"short token":             strings.Replace(v2, tokenLine, "token AAAA\n", 1),
		"empty token":             strings.Replace(v2, tokenLine, "token \n", 1),
		"v3":                      strings.Replace(v2, LeafHeaderV2, "senim.kz/log/leaf/v3", 1),
	} {
		if _, err := ParseLeaf([]byte(leaf)); !errors.Is(err, ErrLeafMalformed) {
			t.Errorf("%s: ParseLeaf = %v, want %v\n%s", name, err, ErrLeafMalformed, leaf)
		}
	}
	for _, leaf := range []string{v1, v2} {
		if _, err := ParseLeaf([]byte(leaf)); err != nil {
			t.Errorf("ParseLeaf(%q): %v", leaf, err)
		}
	}
}
