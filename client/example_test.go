package client_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/senimkz/senim/client"
)

// An initiator loads its information system's EDS key from the NCA's PKCS#12 file and
// makes the verification token of a flow-2 request (access on a legal ground, no
// consent). With a Client (client.New, Config{BaseURL, Key}) the token then goes to
// Senim by Client.Protocol, which answers with the security token for the data owner.
// The key here is the NCA's public test key of an information system.
func ExampleKey_ProtocolToken() {
	p12, err := os.ReadFile("../testdata/nca-gost2022/legal/valid/infosystem.p12")
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := client.LoadPKCS12(p12, "Qwerty12")
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	vt, err := key.ProtocolToken("850314000011", "CPC-199", "070290000016", []string{"identity"}, "criminal case 12-345", now)
	if err != nil {
		fmt.Println(err)
		return
	}

	// A compact JWS whose x5c header carries the key's certificate chain.
	parts := strings.Split(vt, ".")
	var hdr struct {
		Alg string   `json:"alg"`
		X5C []string `json:"x5c"`
	}
	var claims client.VerificationClaims
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(h, &hdr)
	json.Unmarshal(p, &claims)
	fmt.Println(len(parts), hdr.Alg, len(hdr.X5C) > 0)
	fmt.Println(claims.Issuer == key.BIN, claims.Mode, claims.GroundCode, claims.Scope, claims.Consent.Obtained)
	// Output:
	// 3 GOST3410-2015-512 true
	// true protocol CPC-199 [identity] false
}
