package eds

import (
	"encoding/hex"
	"hash"
	"math/big"
	"strings"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	return new(big.Int).SetBytes(unhex(t, s))
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, v := range b {
		r[len(b)-1-i] = v
	}
	return r
}

// TestStreebogRFC6986 checks both Streebog sizes against RFC 6986, section 10.
// The RFC prints messages and hash codes as numbers (most significant byte
// first); the byte strings are their reverse.
func TestStreebogRFC6986(t *testing.T) {
	const m1 = "323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130"
	const m2 = "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
	tests := []struct {
		name   string
		newH   func() hash.Hash
		msg    string
		digest string
	}{
		{"M1/512", newStreebog512, m1, "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"},
		{"M1/256", newStreebog256, m1, "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"},
		{"M2/512", newStreebog512, m2, "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f037613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"},
		{"M2/256", newStreebog256, m2, "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.newH()
			h.Write(reversed(unhex(t, tt.msg)))
			if got := hex.EncodeToString(reversed(h.Sum(nil))); got != tt.digest {
				t.Errorf("got %s, want %s", got, tt.digest)
			}
		})
	}
}

// TestGOST34311RFC5831 checks GOST R 34.11-94 with the test S-box (= GOST
// 34.311-95) against RFC 5831, section 10.1 (and the widely published
// test-parameter vectors).
func TestGOST34311RFC5831(t *testing.T) {
	tests := []struct{ msg, digest string }{
		{"This is message, length=32 bytes", "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"},
		{"Suppose the original message has length = 50 bytes", "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208"},
		{"", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"},
		{"a", "d42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd"},
		{"abc", "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d"},
		{"message digest", "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d"},
	}
	for _, tt := range tests {
		h := newGOST34311()
		h.Write([]byte(tt.msg))
		if got := hex.EncodeToString(h.Sum(nil)); got != tt.digest {
			t.Errorf("GOST34311(%q) = %s, want %s", tt.msg, got, tt.digest)
		}
	}
}

// gostExample is a signature example of RFC 7091 (appendix A) / RFC 5832
// (section 7): numbers as printed there, most significant byte first.
type gostExample struct {
	name       string
	curve      *GOSTCurve
	d, e, k    string
	r, s       string
	pubX, pubY string // empty: not checked
}

func rfcExamples(t testing.TB) []gostExample {
	test256 := newGOSTCurve("GostR3410-2001-TestParamSet", nil, gost.CurveIdGostR34102001TestParamSet())
	test512 := newGOSTCurve("tc26-gost-3410-12-512-paramSetTest", nil, gost.CurveIdtc26gost34102012512paramSetTest())
	return []gostExample{
		{
			// RFC 7091 A.1 = RFC 5832 section 7 (GOST R 34.10-2001 example).
			name:  "RFC7091-A.1/RFC5832",
			curve: test256,
			d:     "7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28",
			e:     "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
			k:     "77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3",
			r:     "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
			s:     "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
			pubX:  "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
			pubY:  "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
		},
		{
			// RFC 7091 A.2 (512-bit test parameters).
			name:  "RFC7091-A.2",
			curve: test512,
			d:     "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B102072E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
			e:     "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C5917184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
			k:     "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F365886748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
			r:     "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD35492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
			s:     "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
		},
	}
}

// TestGOSTVerifyRFCExamples checks the integer-level verifier against the
// official examples, and that a changed e, r or s fails.
func TestGOSTVerifyRFCExamples(t *testing.T) {
	for _, ex := range rfcExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			c := ex.curve
			x, y := c.c.ScalarBaseMult(hexInt(t, ex.d).Bytes())
			if ex.pubX != "" && (x.Cmp(hexInt(t, ex.pubX)) != 0 || y.Cmp(hexInt(t, ex.pubY)) != 0) {
				t.Fatalf("public key (%x, %x) differs from the RFC", x, y)
			}
			e, r, s := hexInt(t, ex.e), hexInt(t, ex.r), hexInt(t, ex.s)
			if !VerifyGOSTReference(c, x, y, e, r, s) {
				t.Fatal("RFC signature does not verify")
			}
			one := big.NewInt(1)
			if VerifyGOSTReference(c, x, y, new(big.Int).Add(e, one), r, s) ||
				VerifyGOSTReference(c, x, y, e, new(big.Int).Add(r, one), s) ||
				VerifyGOSTReference(c, x, y, e, r, new(big.Int).Add(s, one)) {
				t.Fatal("a changed e, r or s verifies")
			}

			// The same through the Kazakh encodings: digest bytes are e little-endian,
			// the signature r LE || s LE.
			pub := &PublicKey{Type: KeyGOST2015_512, Key: &GOSTPublicKey{Curve: c, X: x, Y: y}}
			alg := &Algorithm{OID: OIDSignGOST2015_512, KeyType: KeyGOST2015_512}
			sig := kzSignatureFromRS(r, s, c.Size)
			if err := verifyGOST(alg, pub.Key.(*GOSTPublicKey), leBytes(e, c.Size), sig); err != nil {
				t.Fatalf("verifyGOST: %v", err)
			}
		})
	}
}
