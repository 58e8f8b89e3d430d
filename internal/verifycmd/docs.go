package verifycmd

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/docs"
)

// Docs is `senim docs verify FILE --jwks URL|FILE --key KEY|URL|FILE`: it checks a
// downloaded "digital information" bundle offline (rule DC-8) — the record's
// signature against Senim's JWK set, the audit-log evidence against the log's key, and
// that the logged event is this record's view. A record whose key has left the JWK set
// (a year after its retirement) is checked under the key the bundle carries, and valid
// only with the record's own log entry binding it; the output says which key checked it.
// Exit 0 valid, 1 invalid, 2 unusable.
func Docs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksFlag := fs.String("jwks", "", "Senim's JWK set: a file, or a URL such as https://senim.example/.well-known/jwks.json")
	keyFlag := fs.String("key", "", "the audit log's public key: as /log/key serves it, a file holding it, or that URL")
	pos, err := cli.Parse(fs, args, func(string) (string, bool) { return "", false })
	if err != nil {
		return exitUnusable
	}
	if len(pos) != 1 || *jwksFlag == "" || *keyFlag == "" {
		fmt.Fprintln(stderr, "usage: senim docs verify FILE --jwks URL|FILE --key KEY|URL|FILE")
		return exitUnusable
	}
	raw, jwks, logKey, ok := load(ctx, stderr, pos[0], *jwksFlag, *keyFlag)
	if !ok {
		return exitUnusable
	}
	v, err := docs.CheckInformation(raw, jwks, logKey)
	if err != nil {
		fmt.Fprintln(stderr, "INVALID:", err)
		return exitInvalid
	}
	c, ev := v.Claims, v.Evidence
	who := c.Verifier.Kind
	if c.Verifier.IIN != "" {
		who += " IIN " + c.Verifier.IIN
	}
	if c.Verifier.BIN != "" {
		who += " BIN " + c.Verifier.BIN
	}
	fmt.Fprintf(stdout, "digital information %s: %s of IIN %s shown to %s at %s through share %s; issued by %s\n",
		c.ID, c.Type, c.Owner.IIN, who, c.ViewedAt, c.Share, c.Issuer)
	fmt.Fprintf(stdout, "logged as event %d at index %d of the log %s (tree size %d)\n", ev.Event.ID, ev.Index, ev.Origin, ev.TreeSize)
	if v.FromBundleKey {
		fmt.Fprintf(stdout, "signed by key %s, no longer in the JWK set: checked under the key the bundle carries, which the record's own log entry binds to this very record\n", v.Kid)
	} else {
		fmt.Fprintf(stdout, "signed by key %s of the JWK set\n", v.Kid)
	}
	fmt.Fprintln(stdout, "OK")
	return exitOK
}
