// Package cacmd is `senim ca`: a private test PKI in the NCA profile on the command
// line, through package ca.
package cacmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pki"
)

// commandNow is the clock of Command (tests replace it).
var commandNow = time.Now

const commandUsage = `senim ca — a private test PKI in the NCA profile (NOT FOR PRODUCTION)

Usage:
  senim ca init   --dir D [--base-url URL] [--alg gost2015,p256]
  senim ca issue  --dir D --iin IIN [--surname S --name N --patronymic P]
                  [--bin BIN --org NAME [--role ceo|can_sign|can_sign_financial|hr|employee]]
                  [--system NAME] [--alg gost2015|p256] --out key.p12 [--password P]
  senim ca revoke --dir D --serial HEX [--reason keyCompromise|superseded|...]
  senim ca crl    --dir D [--ca gost2015-ca|gost2015-root|p256-ca|p256-root] > x.crl

issue writes a PKCS#12 file in the NCA layout; without --password it makes one and
prints it. The directory holds the CA keys: keep it private (mode 0700).
Flags may follow the arguments; each has an environment variable SENIM_<FLAG>.
`

// Command runs `senim ca SUBCOMMAND [flags]` and returns the exit code: 0 success,
// 2 bad usage or a failure (as the other senim commands).
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, commandUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("senim ca "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, commandUsage) }
	dir := fs.String("dir", "", "CA directory (required)")
	var run func() error
	switch sub {
	case "init":
		base := fs.String("base-url", "", "URL where the CA's HTTP endpoints will be served (default http://localhost:8080)")
		algs := fs.String("alg", "gost2015,p256", "hierarchies to create")
		run = func() error {
			var list []ca.Algorithm
			for _, a := range strings.Split(*algs, ",") {
				list = append(list, ca.Algorithm(strings.TrimSpace(a)))
			}
			c, err := ca.Open(*dir, ca.Config{Now: commandNow, BaseURL: *base, Algorithms: list})
			if err != nil {
				return err
			}
			for _, a := range c.Authorities() {
				fmt.Fprintf(stdout, "%-14s %s\n", a.Name, a.Certificate.Subject)
			}
			fmt.Fprintf(stdout, "OCSP %s\n", c.OCSPURL())
			return nil
		}
	case "issue":
		var p ca.Person
		var r ca.Request
		fs.StringVar(&p.IIN, "iin", "", "holder's IIN (12 digits)")
		fs.StringVar(&p.Surname, "surname", "ТЕСТОВ", "holder's surname")
		fs.StringVar(&p.Name, "name", "ТЕСТ", "holder's name")
		fs.StringVar(&p.Patronymic, "patronymic", "", "holder's patronymic")
		fs.StringVar(&r.BIN, "bin", "", "organization's BIN: a legal entity's certificate")
		fs.StringVar(&r.Organization, "org", "", "organization's name")
		role := fs.String("role", "", "role in the organization (default employee)")
		fs.StringVar(&r.SystemName, "system", "", "information system's name: an information-system certificate")
		alg := fs.String("alg", string(ca.GOST2015), "gost2015 or p256")
		out := fs.String("out", "", "PKCS#12 file to write (required)")
		password := fs.String("password", "", "PKCS#12 password (NCA policy); default: a generated one, printed")
		run = func() error {
			if *out == "" {
				return fmt.Errorf("%w: --out is required", errUsage)
			}
			if p.IIN != "" || r.SystemName == "" {
				r.Person = p
			}
			if *role != "" {
				r.Role = pki.Role(strings.ToUpper(*role))
			}
			r.Algorithm = ca.Algorithm(*alg)
			pw := *password
			generated := pw == ""
			if generated {
				var err error
				if pw, err = ca.NewPassword(); err != nil {
					return err
				}
			}
			c, err := ca.Open(*dir, ca.Config{Now: commandNow, Algorithms: []ca.Algorithm{r.Algorithm}})
			if err != nil {
				return err
			}
			is, err := c.Issue(r)
			if err != nil {
				return err
			}
			p12, err := ca.PKCS12(is, pw)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, p12, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "serial   %s\nsubject  %s\nvalid    %s .. %s\nfile     %s\n",
				is.Certificate.SerialNumber.Text(16), pki.Info(is.Certificate).Subject.DN,
				is.Certificate.NotBefore.UTC().Format(time.RFC3339), is.Certificate.NotAfter.UTC().Format(time.RFC3339), *out)
			if generated {
				fmt.Fprintf(stdout, "password %s\n", pw)
			}
			return nil
		}
	case "revoke":
		serial := fs.String("serial", "", "serial number, hex (required)")
		reason := fs.String("reason", "unspecified", "RFC 5280 reason name or code")
		run = func() error {
			s, ok := new(big.Int).SetString(strings.TrimPrefix(strings.ToLower(strings.ReplaceAll(*serial, ":", "")), "0x"), 16)
			if !ok {
				return fmt.Errorf("%w: --serial must be hexadecimal", errUsage)
			}
			rc, err := parseReason(*reason)
			if err != nil {
				return err
			}
			c, err := ca.Open(*dir, ca.Config{Now: commandNow})
			if err != nil {
				return err
			}
			if err := c.Revoke(s, rc, time.Time{}); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s (%s)\n", s.Text(16), rc)
			return nil
		}
	case "crl":
		name := fs.String("ca", "gost2015-ca", "authority whose CRL to write")
		run = func() error {
			c, err := ca.Open(*dir, ca.Config{Now: commandNow})
			if err != nil {
				return err
			}
			der, err := c.CRL(*name)
			if err != nil {
				return err
			}
			_, err = stdout.Write(der)
			return err
		}
	default:
		fmt.Fprintf(stderr, "senim ca: unknown command %q\n\n%s", sub, commandUsage)
		return 2
	}
	pos, err := cli.Parse(fs, rest, nil)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "senim ca %s: %v\n", sub, err)
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "senim ca %s: unexpected arguments %q\n", sub, pos)
		return 2
	}
	if *dir == "" {
		fmt.Fprintf(stderr, "senim ca %s: --dir is required\n", sub)
		return 2
	}
	if err := ctx.Err(); err != nil {
		return 2
	}
	if err := run(); err != nil {
		fmt.Fprintf(stderr, "senim ca %s: %v\n", sub, err)
		return 2
	}
	return 0
}

var errUsage = errors.New("usage")

func parseReason(s string) (pki.Reason, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return pki.Reason(n), nil
	}
	for r := pki.ReasonUnspecified; r <= pki.ReasonAACompromise; r++ {
		if strings.EqualFold(r.String(), s) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown reason %q", ca.ErrInvalidRequest, s)
}
