package verifycmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/senimkz/senim/internal/notify"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/cli"
)

// Notify is `senim notify verify RECEIPT --jwks URL|FILE [--log-key KEY|URL|FILE] [--iin IIN] [--notice ID]`:
// it checks a read receipt offline against Senim's JWK set (a file, or fetched once
// from a URL). RECEIPT is a file holding the compact JWS or the bundle the cabinet and
// the sender download ({"receipt":..., "iin_salt":..., "log":...}); with --log-key it
// also checks the bundle's audit-log proof: the checkpoint is signed by that key, the
// receipt's notify.receipt.issued event is included in it and names this very JWS.
// A receipt whose key has left the JWK set (a year after its retirement; receipts are
// kept for years) is checked under the key its bundle carries, and valid only with
// --log-key and that proof; the output says which key checked it.
// With --iin and a bundle it also checks that the receipt commits to that IIN; with
// --notice, that it is the receipt of that notice (a genuine receipt of another notice
// is invalid: it proves nothing of this one).
// A bundle that carries the content shown is valid only if that content is the one the
// receipt covers; the command prints it.
// Exit 0 valid, 1 invalid, 2 unusable.
func Notify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notify verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksFlag := fs.String("jwks", "", "Senim's JWK set: a file, or an https:// (http:// for a local sandbox) URL such as https://senim.example/.well-known/jwks.json")
	iin := fs.String("iin", "", "check that the receipt commits to this IIN (needs the bundle with its salt)")
	logKey := fs.String("log-key", "", "the audit log's verifier key: as /log/key serves it, a file holding it, or that URL; check the bundle's inclusion proof")
	notice := fs.String("notice", "", "check that the receipt is of this notice (its id, n_…, as the status API and the cabinet's address name it)")
	pos, err := cli.Parse(fs, args, func(string) (string, bool) { return "", false }) // only what the command line says
	if err != nil {
		return exitUnusable
	}
	if len(pos) != 1 || *jwksFlag == "" {
		fmt.Fprintln(stderr, "usage: senim notify verify RECEIPT --jwks URL|FILE [--log-key KEY|URL|FILE] [--iin IIN] [--notice ID]")
		return exitUnusable
	}
	if *notice != "" && !notify.ValidNoticeID(*notice) {
		fmt.Fprintf(stderr, "error: --notice %q is not a notice id (n_ and 22 base64url characters)\n", *notice)
		return exitUnusable
	}
	raw, jwks, key, ok := load(ctx, stderr, pos[0], *jwksFlag, *logKey)
	if !ok {
		return exitUnusable
	}
	compact, salt := strings.TrimSpace(string(raw)), ""
	var bundle notify.Receipt
	if strings.HasPrefix(compact, "{") {
		if err := json.Unmarshal(raw, &bundle); err != nil || bundle.JWS == "" {
			fmt.Fprintln(stderr, "INVALID: the file is neither a receipt nor a receipt bundle")
			return exitInvalid
		}
		salt = bundle.IINSalt
	} else {
		bundle.JWS = compact
	}
	v, err := notify.VerifyReceiptBundle(&bundle, jwks, key)
	if err != nil {
		fmt.Fprintln(stderr, "INVALID:", err)
		return exitInvalid
	}
	c := v.Claims
	if v.FromBundleKey {
		fmt.Fprintf(stdout, "signed by key %s, no longer in the JWK set: checked under the key the bundle carries, which the audit log proof binds to this very receipt\n", v.Kid)
	} else {
		fmt.Fprintf(stdout, "signed by key %s of the JWK set\n", v.Kid)
	}
	fmt.Fprintf(stdout, "receipt %s: notice %s read at %s (%s, session %s), content sha256 %s (%s), issued by %s\n",
		c.ID, c.Notice, c.ReadAt, c.AuthMethod, c.Session, c.ContentSHA256, c.Lang, c.Issuer)
	if *notice != "" && c.Notice != *notice {
		// A genuine receipt of another notice proves nothing of this one.
		fmt.Fprintf(stderr, "INVALID: the receipt is of notice %s, not %s\n", c.Notice, *notice)
		return exitInvalid
	}
	if lg := v.Log; lg != nil {
		fmt.Fprintf(stdout, "logged at index %d of %s, checkpoint size %d\n", lg.Index, lg.Checkpoint.Origin, lg.Checkpoint.Size)
	}
	if ct := v.Content; ct != nil {
		// What was read, word for word: the receipt's hash is of exactly this.
		fmt.Fprintf(stdout, "content shown (%s), whose SHA-256 the receipt covers:\n  %s\n", ct.Lang, ct.Title)
		for _, line := range ct.Body {
			fmt.Fprintf(stdout, "  %s\n", line)
		}
	}
	if *iin != "" {
		if salt == "" {
			fmt.Fprintln(stderr, "error: --iin needs the receipt bundle, which carries the salt")
			return exitUnusable
		}
		if !c.CheckCommit(salt, *iin) {
			fmt.Fprintln(stderr, "INVALID: the receipt does not commit to this IIN")
			return exitInvalid
		}
		fmt.Fprintln(stdout, "the receipt commits to the given IIN")
	}
	if *notice != "" {
		fmt.Fprintln(stdout, "the receipt is of the given notice")
	}
	fmt.Fprintln(stdout, "OK")
	return exitOK
}

// readLimited reads a file of at most 1 MiB (a receipt, an evidence package, a JWK set).
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFile)
	}
	return b, nil
}

// load reads what every verify command checks against: the file, Senim's JWK set and,
// when keySrc is not "", the audit log's key. It says on stderr what could not be read,
// and reports whether all was.
func load(ctx context.Context, stderr io.Writer, file, jwksSrc, keySrc string) (raw, jwks []byte, key note.Verifier, ok bool) {
	raw, err := readLimited(file)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return nil, nil, nil, false
	}
	if jwks, err = loadJWKS(ctx, jwksSrc); err != nil {
		fmt.Fprintln(stderr, "error: the JWK set:", err)
		return nil, nil, nil, false
	}
	if keySrc != "" {
		if key, err = loadLogKey(ctx, keySrc); err != nil {
			fmt.Fprintln(stderr, "error: the log key:", err)
			return nil, nil, nil, false
		}
	}
	return raw, jwks, key, true
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// loadJWKS reads Senim's JWK set from a file, or fetches it once from an http(s) URL.
func loadJWKS(ctx context.Context, src string) ([]byte, error) {
	if !isURL(src) {
		return readLimited(src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFile))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	return b, nil
}

// loadLogKey reads the audit log's verifier key: given as is (it holds a "+"), from a
// file, or fetched once from an http(s) URL (a Senim's /log/key); during a rotation
// /log/key lists two, and the first is used.
func loadLogKey(ctx context.Context, k string) (note.Verifier, error) {
	if isURL(k) || !strings.Contains(k, "+") {
		b, err := loadJWKS(ctx, k)
		if err != nil {
			return nil, err
		}
		k = string(b)
	}
	k, _, _ = strings.Cut(strings.TrimSpace(k), "\n")
	return auditlog.NewVerifier(k)
}
