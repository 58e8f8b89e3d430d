package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/edscmd"
)

// archiveCmd is `senim archive seal|renew`: the archive's evidence-record jobs, run by
// cron or a timer until a job engine is on main (docs/archive.md).
func archiveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "seal" && args[0] != "renew") {
		return errors.New("usage: senim archive seal|renew --tsa URL [--tsa-cert FILE]... [--crl FILE]... [--renew-before DURATION] [--max N]")
	}
	sub := args[0]
	fs := flag.NewFlagSet("archive "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	tsaURL := fs.String("tsa", "", "RFC 3161 time-stamping authority URL for archive time-stamps")
	var tsaCerts, crlFiles cli.StringList
	fs.Var(&tsaCerts, "tsa-cert", "the TSA certificate and its CA chain (DER or PEM), repeatable: put into the time-stamps")
	fs.Var(&crlFiles, "crl", "current CRL of the TSA's CA (DER or PEM), repeatable: put into the time-stamps")
	renewBefore := fs.Duration("renew-before", 365*24*time.Hour, "renew when the TSA certificate expires within this time")
	max := fs.Int("max", 100000, "seal: at most this many documents into one evidence record")
	pos, err := cli.Parse(fs, args[1:], nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *tsaURL == "" {
		return errors.New("--tsa is required and no positional arguments are taken")
	}
	var chain []*x509.Certificate
	for _, f := range tsaCerts {
		cs, err := edscmd.ReadCerts(f)
		if err != nil {
			return fmt.Errorf("--tsa-cert %s: %w", f, err)
		}
		chain = append(chain, cs...)
	}
	cfg, err := edscmd.TrustConfig(nil, nil, crlFiles, time.Now)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	d, err := app.OpenDB(ctx, app.Config{DataDir: db.dataDir, DatabaseURL: db.databaseURL}, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.CheckSchema(ctx); err != nil {
		return err
	}
	var ts cms.TimeStamper = &tsp.Client{URL: *tsaURL}
	svc, err := archive.New(archive.Config{DB: d, TSA: ts, TSAChain: chain,
		Validation: archive.Validation{CRLs: cfg.CRLs}, Policy: archive.Policy{RenewBefore: *renewBefore}})
	if err != nil {
		return err
	}
	if sub == "seal" {
		n, err := svc.Seal(ctx, *max)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sealed %d document(s)\n", n)
		return nil
	}
	r, err := svc.Renew(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "renewed %d batch(es); %d need hash-tree renewal (not implemented)\n", r.Renewed, r.HashTreeDue)
	if r.HashTreeDue > 0 {
		fmt.Fprintln(stderr, "senim archive: some evidence uses a hash algorithm that weakens within the margin")
	}
	return nil
}
