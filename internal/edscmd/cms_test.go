package edscmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Command(t.Context(), args, &out, &errb)
	return code, out.Bytes(), errb.String()
}

// The "done when": a CMS signed with individual_valid.p12 by `eds sign`
// verifies with `eds verify` and fails after one byte of content changes.
func TestSignVerifyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "agreement.txt")
	os.WriteFile(doc, []byte("Loan agreement No. 1, 24 months"), 0o600)
	trust := []string{"--ca", nca + "root_test_gost_2022.cer", "--ca", nca + "nca_gost2022_test.cer", "--crl", nca + "nca_gost2022_test.crl"}

	for _, detached := range []bool{false, true} {
		name := "attached"
		if detached {
			name = "detached"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"sign", "--key", nca + "individual/valid/individual_valid.p12", "--password", "Qwerty12", doc}
			if detached {
				args = append(args, "--detached")
			}
			code, cmsDER, errs := run(t, args...)
			if code != 0 {
				t.Fatalf("sign: exit %d %s", code, errs)
			}
			in := filepath.Join(dir, name+".cms")
			os.WriteFile(in, cmsDER, 0o600)
			vargs := append([]string{"verify", in}, trust...)
			if detached {
				vargs = append(vargs, "--data", doc)
			}
			code, out, errs := run(t, vargs...)
			var rep VerifyReport
			json.Unmarshal(out, &rep)
			if code != 0 || !rep.Valid || len(rep.Signers) != 1 || !rep.Signers[0].Chain.Checked || rep.Signers[0].Certificate.Subject.IIN != "123456789011" {
				t.Fatalf("verify: exit %d %s\n%s", code, errs, out)
			}
			if rep.Signers[0].SignatureAlgorithm != "ECGOST3410-2015-512" {
				t.Errorf("algorithm %q", rep.Signers[0].SignatureAlgorithm)
			}

			// One byte of content changed.
			if detached {
				bad := filepath.Join(dir, "bad.txt")
				os.WriteFile(bad, []byte("Loan agreement No. 1, 84 months"), 0o600)
				vargs[len(vargs)-1] = bad
			} else {
				tampered := bytes.Replace(cmsDER, []byte("24 months"), []byte("84 months"), 1)
				if bytes.Equal(tampered, cmsDER) {
					t.Fatal("content not found in the attached CMS")
				}
				os.WriteFile(in, tampered, 0o600)
			}
			code, out, _ = run(t, vargs...)
			json.Unmarshal(out, &rep)
			if code != 1 || rep.Valid || !strings.Contains(string(out), "eds.cms.digest_mismatch") {
				t.Errorf("changed content: exit %d\n%s", code, out)
			}
		})
	}
	t.Run("without --ca the chain is not checked", func(t *testing.T) {
		_, cmsDER, _ := run(t, "sign", "--key", nca+"individual/valid/individual_valid.p12", "--password", "Qwerty12", doc, "--pem")
		if !bytes.HasPrefix(cmsDER, []byte("-----BEGIN CMS-----")) {
			t.Fatalf("--pem output: %q", cmsDER[:20])
		}
		in := filepath.Join(dir, "pem.cms")
		os.WriteFile(in, cmsDER, 0o600)
		code, out, _ := run(t, "verify", in)
		var rep VerifyReport
		json.Unmarshal(out, &rep)
		if code != 0 || rep.Signers[0].Chain.Checked {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("revoked signer", func(t *testing.T) {
		_, cmsDER, _ := run(t, "sign", "--key", nca+"legal/valid/employee.p12", "--password", "Qwerty12", doc)
		in := filepath.Join(dir, "revoked.cms")
		os.WriteFile(in, cmsDER, 0o600)
		code, out, _ := run(t, append([]string{"verify", in}, trust...)...)
		if code != 1 || !strings.Contains(string(out), `"status": "revoked"`) {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("unusable input", func(t *testing.T) {
		garbage := filepath.Join(dir, "garbage.cms")
		os.WriteFile(garbage, []byte{0x30, 0x80, 0x01}, 0o600)
		if code, out, _ := run(t, "verify", garbage); code != 2 || !strings.Contains(string(out), "eds.cms") {
			t.Errorf("garbage: exit %d %s", code, out)
		}
		if code, _, errs := run(t, "sign", "--key", nca+"individual/valid/individual_valid.p12", "--password", "nope", doc); code != 2 || !strings.Contains(errs, "eds.pkcs12.bad_password") {
			t.Errorf("wrong password: exit %d %s", code, errs)
		}
		if code, _, _ := run(t, "sign", doc); code != 2 {
			t.Errorf("no key: exit %d", code)
		}
	})
}
