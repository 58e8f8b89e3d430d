package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/jobs"
)

// archiveCmd is `senim archive seal|renew`: a manual run of the archive's evidence-record
// jobs, which `senim serve` runs by itself (docs/archive.md), under the same lease.
func archiveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "seal" && args[0] != "renew") {
		return errors.New("usage: senim archive seal|renew --tsa URL [--tsa-cert FILE]... [--crl FILE]... [--renew-before DURATION] [--hash-policy FILE] [--hash OID] [--max N] [--archive-blobs DIR]")
	}
	sub := args[0]
	fs := flag.NewFlagSet("archive "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	tsaURL := fs.String("tsa", "", "RFC 3161 time-stamping authority URL for archive time-stamps")
	var tsaCerts, crlFiles cli.StringList
	fs.Var(&tsaCerts, "tsa-cert", "the TSA certificate and its CA chain up to the root (DER or PEM), repeatable: put into the time-stamps; required with --crl, or the seal is refused")
	fs.Var(&crlFiles, "crl", "current CRL of each CA on the TSA's chain (DER or PEM), repeatable: put into the time-stamps; required")
	renewBefore := fs.Duration("renew-before", 365*24*time.Hour, "renew when the TSA certificate expires within this time")
	hashPolicy := fs.String("hash-policy", "", "renew: a hash policy file (the format of internal/archive/hashpolicy.json) instead of the built-in one")
	hashOID := fs.String("hash", "", "dotted OID of the hash of new trees (seal, hash-tree renewal); default GOST R 34.11-2015 Streebog-512")
	max := fs.Int("max", 100000, "seal: at most this many documents into one evidence record")
	blobDir := fs.String("archive-blobs", "", "the directory serve keeps the archive's bytes in (serve --archive-blobs), if it does; hash-tree renewal reads them")
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
	policy := archive.Policy{RenewBefore: *renewBefore}
	if *hashPolicy != "" {
		b, err := os.ReadFile(*hashPolicy)
		if err != nil {
			return err
		}
		if policy.WeakFrom, err = archive.ParseHashPolicy(b); err != nil {
			return fmt.Errorf("--hash-policy: %w", err)
		}
	}
	if *hashOID != "" {
		if policy.Hash, err = archive.ParseHashOID(*hashOID); err != nil {
			return fmt.Errorf("--hash: %w", err)
		}
	}
	blobs, err := archive.Blobs(d, *blobDir, nil)
	if err != nil {
		return fmt.Errorf("--archive-blobs: %w", err)
	}
	var ts cms.TimeStamper = &tsp.Client{URL: *tsaURL}
	svc, err := archive.New(archive.Config{DB: d, Blobs: blobs, TSA: ts, TSAChain: chain,
		Validation: archive.Validation{CRLs: cfg.CRLs}, Policy: policy})
	if err != nil {
		return err
	}
	// The run holds the lease of serve's job of the same name: a manual run and the
	// job never overlap, on any node.
	eng, err := jobs.New(jobs.Config{DB: d, Node: "cli", Logger: log})
	if err != nil {
		return err
	}
	busy := func(err error) error {
		if errors.Is(err, jobs.ErrBusy) {
			return fmt.Errorf("%w: the %s job is running in senim serve; try again when it has finished (senim jobs)", err, sub)
		}
		return err
	}
	if sub == "seal" {
		var n int
		err := eng.RunNow(ctx, jobs.Job{Name: app.JobArchiveSeal, Lease: 10 * time.Minute, Run: func(ctx context.Context, _ *jobs.Lease) (err error) {
			n, err = svc.Seal(ctx, *max)
			return err
		}})
		if err != nil {
			return busy(err)
		}
		fmt.Fprintf(stdout, "sealed %d document(s)\n", n)
		return nil
	}
	var r archive.RenewResult
	err = eng.RunNow(ctx, jobs.Job{Name: app.JobArchiveRenew, Lease: 10 * time.Minute, Run: func(ctx context.Context, _ *jobs.Lease) (err error) {
		r, err = svc.Renew(ctx)
		return err
	}})
	if err != nil {
		return busy(err)
	}
	fmt.Fprintf(stdout, "renewed %d batch(es) by a new time-stamp; %d document(s) of %d batch(es) by a new hash tree\n",
		r.Renewed, r.HashTreeDocuments, r.HashTreeBatches)
	return nil
}
