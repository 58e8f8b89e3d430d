package tsp_test

import (
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// seeds returns real requests and responses (granted by a GOST and an ECDSA TSA, and a
// rejection).
func seeds(f *testing.F) (reqs, resps, tokens [][]byte) {
	for _, kt := range []eds.KeyType{eds.KeyGOST2015_512, eds.KeyECDSA} {
		ts := newTSA(f, kt)
		_, der := request(f, eds.OIDDigestStreebog512, []byte("seed"), tsp.OIDPolicyGOST2015)
		resp, err := tsp.Respond(der, ts.cfg)
		if err != nil {
			f.Fatal(err)
		}
		r, err := tsp.ParseResponse(resp)
		if err != nil {
			f.Fatal(err)
		}
		reqs = append(reqs, der)
		resps = append(resps, resp)
		tokens = append(tokens, r.Token)
		rej, _ := tsp.Respond([]byte("garbage"), ts.cfg)
		resps = append(resps, rej)
	}
	return reqs, resps, tokens
}

// FuzzParseResponse: no TimeStampResp may panic the parser.
func FuzzParseResponse(f *testing.F) {
	_, resps, _ := seeds(f)
	for _, s := range resps {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tsp.ParseResponse(b)
		if err != nil {
			if eds.Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		_ = r.Err()
		if r.Token != nil {
			_, _ = tsp.ParseToken(r.Token)
		}
	})
}

// FuzzParseToken: no token may panic the parser. It only parses; FuzzVerifyToken adds
// the signature, certificate and imprint checks.
func FuzzParseToken(f *testing.F) {
	_, _, tokens := seeds(f)
	for _, s := range tokens {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := tsp.ParseToken(b); err != nil && eds.Code(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
	})
}

// FuzzVerifyToken: no token may panic the verifier, and every refusal has a code.
func FuzzVerifyToken(f *testing.F) {
	_, _, tokens := seeds(f)
	for _, s := range tokens {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := tsp.VerifyToken(t.Context(), b, tsp.VerifyOptions{Data: []byte("seed")})
		if err != nil && eds.Code(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
	})
}

// FuzzParseRequest: the TSA server's parser of untrusted requests.
func FuzzParseRequest(f *testing.F) {
	reqs, _, _ := seeds(f)
	for _, s := range reqs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tsp.ParseRequest(b)
		if err != nil {
			return
		}
		if _, err := r.Marshal(); err != nil {
			t.Fatalf("Marshal of a parsed request: %v", err)
		}
	})
}
