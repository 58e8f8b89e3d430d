package verifycmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/notify"
)

// Confirm is `senim confirm verify EVIDENCE --jwks URL|FILE --log-key KEY|URL|FILE [--iin IIN]`:
// it checks a push confirmation's evidence package offline (VerifyEvidence) against
// Senim's JWK set (a file, or fetched once from a URL) and the audit log's key; with
// --iin it also checks that the evidence commits to that IIN. Evidence whose key has
// left the JWK set (a year after its retirement) is checked under the key the package
// carries, which the log proof binds; the output says which key checked it. Exit 0
// valid, 1 invalid, 2 unusable.
func Confirm(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("confirm verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksFlag := fs.String("jwks", "", "Senim's JWK set: a file, or a URL such as https://senim.example/.well-known/jwks.json")
	logKey := fs.String("log-key", "", "the audit log's verifier key: as /log/key serves it, a file holding it, or that URL")
	iin := fs.String("iin", "", "check that the evidence commits to this IIN")
	pos, err := cli.Parse(fs, args, func(string) (string, bool) { return "", false })
	if err != nil {
		return exitUnusable
	}
	if len(pos) != 1 || *jwksFlag == "" || *logKey == "" {
		fmt.Fprintln(stderr, "usage: senim confirm verify EVIDENCE --jwks URL|FILE --log-key KEY|URL|FILE [--iin IIN]")
		return exitUnusable
	}
	raw, jwks, key, ok := load(ctx, stderr, pos[0], *jwksFlag, *logKey)
	if !ok {
		return exitUnusable
	}
	v, err := confirm.VerifyEvidence(raw, jwks, key)
	if err != nil {
		fmt.Fprintln(stderr, "INVALID:", err)
		return exitInvalid
	}
	c := v.Claims
	kid, _ := notify.KeyID(confirmJWS(raw))
	if v.FromBundleKey {
		fmt.Fprintf(stdout, "signed by key %s, no longer in the JWK set: checked under the key the package carries, which the audit log proof binds to this very evidence\n", kid)
	} else {
		fmt.Fprintf(stdout, "signed by key %s of the JWK set\n", kid)
	}
	fmt.Fprintf(stdout, "evidence %s: request %s of BIN %s, answer %q at %s (%s, session %s), text sha256 %s (%s), policy %s, issued by %s\n",
		c.ID, c.Request, c.Party, c.Decision, c.At, c.AuthMethod, c.Session, c.TextSHA256, c.Lang, c.PolicyVersion, c.Issuer)
	fmt.Fprintf(stdout, "logged at index %d of %s, checkpoint size %d\n", v.LogIndex, v.Checkpoint.Origin, v.Checkpoint.Size)
	if *iin != "" {
		salt, _ := confirm.IINSalt(raw)
		if !c.CheckCommit(salt, *iin) {
			fmt.Fprintln(stderr, "INVALID: the evidence does not commit to this IIN")
			return exitInvalid
		}
		fmt.Fprintln(stdout, "the evidence commits to the given IIN")
	}
	fmt.Fprintln(stdout, "text shown:")
	fmt.Fprintln(stdout, v.Text)
	fmt.Fprintln(stdout, "OK")
	return exitOK
}

// confirmJWS is the JWS of an evidence package that verified.
func confirmJWS(raw []byte) string {
	var ev confirm.Evidence
	json.Unmarshal(raw, &ev)
	return ev.JWS
}
