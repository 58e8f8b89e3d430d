package edscmd

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// Command runs `senim eds SUBCOMMAND ...` and returns the exit code: 0 valid, 1
// invalid, 2 unusable input.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, `usage:
  senim eds info FILE [--password P] [--ca FILE]... [--ca-anchor FILE]... [--crl FILE]... [--ocsp] [--at RFC3339]
  senim eds sign --key FILE.p12 --password P [--detached] [--tsa URL] [--pem] IN > OUT.cms
  senim eds verify [--data FILE] [--ca FILE]... [--ca-anchor FILE]... [--at RFC3339] [--crl FILE]... [--ocsp] IN.cms
`)
		return 2
	}
	switch args[0] {
	case "info":
		return info(ctx, args[1:], stdout, stderr)
	case "sign":
		return sign(ctx, args[1:], stdout, stderr)
	case "verify":
		return verify(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "senim eds: unknown subcommand %q\n", args[0])
	return 2
}

// CertificateReport is what `eds info` says of one certificate.
type CertificateReport struct {
	Alias       string       `json:"alias,omitempty"` // PKCS#12 only
	Certificate pki.CertInfo `json:"certificate"`
	Chain       *ChainReport `json:"chain"`
}

// InfoReport is the output of `eds info`.
type InfoReport struct {
	File         string              `json:"file"`
	Kind         string              `json:"kind"` // certificate | pkcs12
	Certificates []CertificateReport `json:"certificates"`
	Valid        bool                `json:"valid"`
}

type common struct {
	cas, anchors, crls cli.StringList
	ocsp               bool
	at                 string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.Var(&c.cas, "ca", "trusted CA certificate (DER or PEM), repeatable: self-signed ones are roots, others only build chains; without --ca or --ca-anchor the chain is not checked")
	fs.Var(&c.anchors, "ca-anchor", "CA certificate trusted directly as an anchor, root or intermediate (DER or PEM), repeatable")
	fs.Var(&c.crls, "crl", "CRL (DER or PEM), repeatable: check revocation by CRL")
	fs.BoolVar(&c.ocsp, "ocsp", false, "check revocation by OCSP at the address in the certificate")
	fs.StringVar(&c.at, "at", "", "validate at this time (RFC 3339) instead of now")
}

// validator returns the validator the flags ask for (nil without --ca), the time and
// the revocation methods.
func (c *common) validator(now func() time.Time) (*pki.Validator, time.Time, []pki.RevocationMethod, error) {
	at := now()
	if c.at != "" {
		t, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			return nil, at, nil, fmt.Errorf("--at: %w", err)
		}
		at = t
	}
	var methods []pki.RevocationMethod
	if len(c.crls) > 0 {
		methods = append(methods, pki.RevocationCRL)
	}
	if c.ocsp {
		methods = append(methods, pki.RevocationOCSP)
	}
	if len(c.cas) == 0 && len(c.anchors) == 0 {
		return nil, at, methods, nil
	}
	cfg, err := TrustConfig(c.cas, c.anchors, c.crls, now)
	if err != nil {
		return nil, at, nil, err
	}
	if c.ocsp {
		cfg.OCSP = pki.NewOCSPChecker(pki.OCSPConfig{Clock: now})
	}
	v, err := pki.New(cfg)
	return v, at, methods, err
}

// Now is the clock of the commands; tests replace it.
var Now = time.Now

func info(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eds info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	password := fs.String("password", "", "password of a PKCS#12 file")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return usage(stderr, err)
	}
	if len(pos) != 1 {
		return usage(stderr, errors.New("exactly one FILE is required"))
	}
	v, at, methods, err := c.validator(Now)
	if err != nil {
		return usage(stderr, err)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return usage(stderr, err)
	}
	rep := InfoReport{File: pos[0], Valid: true}
	var entries []CertificateReport
	if certs, cerr := ParseCerts(data); cerr == nil {
		rep.Kind = "certificate"
		entries = append(entries, report(ctx, v, at, methods, certs[0], certs[1:], ""))
	} else {
		f, perr := pkcs12.Decode(data, *password)
		if perr != nil {
			if eds.Code(perr) == "eds.pkcs12.bad_password" || *password != "" || strings.HasSuffix(strings.ToLower(pos[0]), ".p12") || strings.HasSuffix(strings.ToLower(pos[0]), ".pfx") {
				return failJSON(stdout, stderr, pos[0], perr)
			}
			return failJSON(stdout, stderr, pos[0], fmt.Errorf("%w: neither a certificate (%v) nor a PKCS#12 file", eds.NewError("eds.input.unrecognized", "unrecognized input"), cerr))
		}
		rep.Kind = "pkcs12"
		for _, e := range f.Entries {
			if e.Certificate == nil {
				continue
			}
			entries = append(entries, report(ctx, v, at, methods, e.Certificate, e.CACertificates, e.Alias))
		}
	}
	rep.Certificates = entries
	for _, e := range entries {
		if e.Chain.Checked && (!e.Chain.Valid || e.Chain.RevocationFailed()) || e.Chain.PeriodFailed() {
			rep.Valid = false
		}
	}
	writeJSON(stdout, rep)
	if !rep.Valid {
		return 1
	}
	return 0
}

func report(ctx context.Context, v *pki.Validator, at time.Time, methods []pki.RevocationMethod, leaf *x509.Certificate, extra []*x509.Certificate, alias string) CertificateReport {
	r := CertificateReport{Alias: alias, Certificate: pki.Info(leaf)}
	if v == nil {
		r.Chain = Unchecked(leaf, at)
		return r
	}
	r.Chain = Chain(v.Validate(ctx, leaf, at, pki.Options{Revocation: methods, Intermediates: extra}))
	return r
}

func usage(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "senim eds: %v\n", err)
	return 2
}

// failJSON reports unusable input as JSON with its stable code, exit 2.
func failJSON(stdout, stderr io.Writer, file string, err error) int {
	c := eds.Code(err)
	if c == "" {
		c = "eds.input.unusable"
	}
	writeJSON(stdout, map[string]any{"file": file, "valid": false, "error": c, "detail": err.Error()})
	fmt.Fprintf(stderr, "senim eds: %s: %v\n", file, err)
	return 2
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
