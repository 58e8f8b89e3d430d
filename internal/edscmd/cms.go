package edscmd

import (
	"context"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// sign is `senim eds sign --key FILE.p12 --password P [--detached] [--tsa URL] [--pem] IN > OUT.cms`.
func sign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eds sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "PKCS#12 key file (NCA format)")
	password := fs.String("password", "", "password of the key file")
	alias := fs.String("alias", "", "key alias in the file (default: the first key)")
	detached := fs.Bool("detached", false, "leave the content out of the CMS")
	tsaURL := fs.String("tsa", "", "RFC 3161 time-stamping authority URL: makes CAdES-T")
	asPEM := fs.Bool("pem", false, "write PEM instead of DER")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return usage(stderr, err)
	}
	if len(pos) != 1 || *keyFile == "" {
		return usage(stderr, errors.New("usage: senim eds sign --key FILE.p12 --password P [--detached] [--tsa URL] [--pem] IN > OUT.cms"))
	}
	content, err := os.ReadFile(pos[0])
	if err != nil {
		return usage(stderr, err)
	}
	spec, err := loadSigner(*keyFile, *password, *alias)
	if err != nil {
		return fail(stderr, err)
	}
	opts := cms.SignOptions{Detached: *detached, Now: Now}
	if *tsaURL != "" {
		opts.TSA = &tsp.Client{URL: *tsaURL}
	}
	out, err := cms.Sign(ctx, content, []cms.SignerSpec{spec}, opts)
	if err != nil {
		return fail(stderr, err)
	}
	if *asPEM {
		out = pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: out})
	}
	stdout.Write(out)
	return 0
}

func loadSigner(file, password, alias string) (cms.SignerSpec, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return cms.SignerSpec{}, err
	}
	f, err := pkcs12.Decode(b, password)
	if err != nil {
		return cms.SignerSpec{}, err
	}
	for _, e := range f.Entries {
		if (alias == "" || e.Alias == alias) && e.PrivateKey != nil && e.Certificate != nil {
			return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}, nil
		}
	}
	return cms.SignerSpec{}, errNoKey
}

// errNoKey is made once: eds.NewError registers its code for the error catalogue.
var errNoKey = eds.NewError("eds.pkcs12.no_key", "no key with a certificate (and that alias) in the file")

// SignerReport is what `eds verify` says of one signer.
type SignerReport struct {
	Certificate        *pki.CertInfo    `json:"certificate,omitempty"`
	SignatureAlgorithm string           `json:"signature_algorithm"`
	SigningTime        *time.Time       `json:"signing_time,omitempty"`
	SignatureValid     bool             `json:"signature_valid"`
	DigestValid        bool             `json:"digest_valid"`
	SigningCertificate bool             `json:"signing_certificate_attribute"`
	Chain              *ChainReport     `json:"chain"`
	TimeStamp          *TimeStampReport `json:"timestamp,omitempty"`
	ValidationTime     time.Time        `json:"validation_time"`
	Valid              bool             `json:"valid"`
	Errors             []string         `json:"errors"`
}

// TimeStampReport is a signature time-stamp, in NCANode's TspInfo terms.
type TimeStampReport struct {
	GenTime       time.Time    `json:"genTime"`
	Policy        string       `json:"policy"`
	SerialNumber  string       `json:"serialNumber"`
	TSA           string       `json:"tsa"`
	HashAlgorithm string       `json:"tspHashAlgorithm"`
	Hash          []byte       `json:"hash"`
	Valid         bool         `json:"valid"`
	Error         string       `json:"error,omitempty"`
	Chain         *ChainReport `json:"chain,omitempty"`
}

// VerifyReport is the output of `eds verify`.
type VerifyReport struct {
	Valid    bool           `json:"valid"`
	Detached bool           `json:"detached"`
	Signers  []SignerReport `json:"signers"`
}

// Signers reports a CMS verification result.
func Signers(res *cms.Result) []SignerReport {
	var out []SignerReport
	for i := range res.Signers {
		s := &res.Signers[i]
		r := SignerReport{
			Certificate: s.CertInfo, SignatureAlgorithm: s.SignatureAlgorithm,
			SignatureValid: s.SignatureValid, DigestValid: s.DigestValid, SigningCertificate: s.SigningCertificate,
			ValidationTime: s.ValidationTime, Valid: s.Valid, Errors: s.Codes(),
		}
		if r.Errors == nil {
			r.Errors = []string{}
		}
		if !s.SigningTime.IsZero() {
			t := s.SigningTime
			r.SigningTime = &t
		}
		if s.ChainChecked && s.Chain != nil {
			r.Chain = Chain(*s.Chain)
		} else {
			r.Chain = &ChainReport{Checked: false, At: s.ValidationTime, Errors: []string{}}
		}
		if ts := s.TimeStamp; ts != nil {
			r.TimeStamp = &TimeStampReport{GenTime: ts.GenTime, Policy: ts.Policy, SerialNumber: ts.SerialNumber, TSA: ts.TSA,
				HashAlgorithm: ts.HashAlgorithm, Hash: ts.Hash, Valid: ts.Valid, Error: code(ts.Err)}
			if ts.Chain != nil {
				r.TimeStamp.Chain = Chain(*ts.Chain)
			}
		}
		out = append(out, r)
	}
	return out
}

// verify is `senim eds verify [--data FILE] [--ca FILE]... [--ca-anchor FILE]... [--at RFC3339] [--crl FILE]... [--ocsp] IN.cms|IN.asics|IN.asice`.
func verify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eds verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	dataFile := fs.String("data", "", "the signed content of a detached CMS")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return usage(stderr, err)
	}
	if len(pos) != 1 {
		return usage(stderr, errors.New("usage: senim eds verify [--data FILE] [--ca FILE]... [--ca-anchor FILE]... [--at RFC3339] [--crl FILE]... [--ocsp] IN.cms|IN.asics|IN.asice"))
	}
	v, at, methods, err := c.validator(Now)
	if err != nil {
		return usage(stderr, err)
	}
	in, err := os.ReadFile(pos[0])
	if err != nil {
		return usage(stderr, err)
	}
	if archive.IsZip(in) {
		return verifyContainer(ctx, pos[0], in, c, stdout, stderr)
	}
	if p, _ := pem.Decode(in); p != nil {
		in = p.Bytes
	}
	var data []byte
	if *dataFile != "" {
		if data, err = os.ReadFile(*dataFile); err != nil {
			return usage(stderr, err)
		}
	}
	res, err := cms.Verify(ctx, in, data, cms.VerifyOptions{Validator: v, Revocation: methods, Now: func() time.Time { return at }})
	if err != nil {
		return failJSON(stdout, stderr, pos[0], err)
	}
	rep := VerifyReport{Valid: res.Valid, Detached: res.Detached, Signers: Signers(res)}
	writeJSON(stdout, rep)
	if !rep.Valid {
		return 1
	}
	return 0
}

func fail(stderr io.Writer, err error) int {
	c := eds.Code(err)
	if c == "" {
		c = "eds.error"
	}
	fmt.Fprintf(stderr, "senim eds: %s: %v\n", c, err)
	return 2
}
