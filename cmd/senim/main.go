// Command senim runs Senim, the open-source platform for the digital-trust services
// of Kazakhstan's Digital Code, and its tools.
//
//	senim serve [--sandbox | --kek-file FILE] [--addr 127.0.0.1:8080] [--data-dir ./senim-data] [--database-url postgres://...]
//	senim migrate [--data-dir DIR | --database-url URL]
//	senim kzid NUMBER
//	senim version
//
// Every flag can stand before or after the arguments and can be set through an
// environment variable SENIM_<FLAG> (SENIM_ADDR, SENIM_DATA_DIR, ...).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/logcmd"
	"github.com/senimkz/senim/internal/verifycmd"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/senimkz/senim/internal/admincmd"
	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/cacmd"
	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/edsfast"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/pd/loadgen"
	"github.com/senimkz/senim/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `senim — digital-trust services of Kazakhstan's Digital Code

Usage:
  senim serve [flags]     run the server (--sandbox for demo data and simulators)
  senim migrate [flags]   apply pending database migrations and exit
  senim kzid NUMBER       check an IIN or BIN; JSON on stdout, exit 1 when invalid
  senim eds info FILE     a certificate or PKCS#12 key: subject, roles, chain, revocation
  senim ca init|issue|revoke|crl --dir DIR   a private test PKI in the Kazakh profile
  senim log verify BUNDLE [--server URL]     check an evidence bundle of the log offline
  senim log audit --server URL               check the log's consistency and every leaf
  senim log key list|rotate|retire|import    the log's signing keys (docs/log.md)
  senim archive seal|renew --tsa URL         evidence records of the archive (docs/archive.md)
  senim jobs [--data-dir DIR | --database-url URL]   the periodic jobs of senim serve: schedule, lease, last error
  senim notify verify RECEIPT --jwks URL|FILE [--log-key KEY|URL|FILE] [--iin IIN] [--notice ID]   check a read receipt offline
  senim confirm verify EVIDENCE --jwks URL|FILE --log-key KEY|URL|FILE [--iin IIN]   check a push confirmation's evidence offline
  senim docs verify FILE --jwks URL|FILE --key KEY|URL|FILE   check a "digital information" record offline
  senim admin ...          the authorized body's directories (see senim admin help)
  senim loadgen ...        load generator: flow 2, or -target confirm with -url (docs/performance.md)
  senim sandbox ncalayer [flags]   the SANDBOX NCALayer simulator alone (serve --sandbox starts it too)
  senim version           print the version

Run 'senim COMMAND --help' for a command's flags. Every flag has an environment
variable SENIM_<FLAG>, e.g. SENIM_ADDR, SENIM_DATA_DIR, SENIM_DATABASE_URL.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes a subcommand and returns the process exit code: 0 success, 1 a negative
// answer (an invalid number), 2 bad usage or a failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	// Every command verifies GOST signatures through the fast path unless told otherwise.
	if err := edsfast.Use(os.Getenv(edsfast.EnvVar)); err != nil {
		fmt.Fprintf(stderr, "senim: %s: %v\n", edsfast.EnvVar, err)
		return 2
	}
	if err := edsfast.UseStreebog(os.Getenv(edsfast.StreebogEnvVar)); err != nil {
		fmt.Fprintf(stderr, "senim: %s: %v\n", edsfast.StreebogEnvVar, err)
		return 2
	}
	var err error
	code := 0
	switch cmd {
	case "serve":
		err = serve(ctx, rest, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "kzid":
		code, err = kzidCmd(rest, stdout, stderr)
	case "archive":
		err = archiveCmd(ctx, rest, stdout, stderr)
	case "jobs":
		err = jobsCmd(ctx, rest, stdout, stderr)
	case "eds":
		return edscmd.Command(ctx, rest, stdout, stderr)
	case "ca":
		return cacmd.Command(ctx, rest, stdout, stderr)
	case "log":
		return logCmd(ctx, rest, stdout, stderr)
	case "notify":
		if len(rest) > 0 && rest[0] == "verify" {
			return verifycmd.Notify(ctx, rest[1:], stdout, stderr)
		}
		fmt.Fprintln(stderr, "usage: senim notify verify RECEIPT --jwks URL|FILE [--log-key KEY|URL|FILE] [--iin IIN] [--notice ID]")
		return 2
	case "confirm":
		if len(rest) > 0 && rest[0] == "verify" {
			return verifycmd.Confirm(ctx, rest[1:], stdout, stderr)
		}
		fmt.Fprintln(stderr, "usage: senim confirm verify EVIDENCE --jwks URL|FILE --log-key KEY|URL|FILE [--iin IIN]")
		return 2
	case "docs":
		if len(rest) > 0 && rest[0] == "verify" {
			return verifycmd.Docs(ctx, rest[1:], stdout, stderr)
		}
		fmt.Fprintln(stderr, "usage: senim docs verify FILE --jwks URL|FILE --key KEY|URL|FILE")
		return 2
	case "admin":
		return admincmd.Command(ctx, rest, stdout, stderr)
	case "sandbox":
		if len(rest) == 0 || rest[0] != "ncalayer" {
			fmt.Fprintln(stderr, "usage: senim sandbox ncalayer [--addr 127.0.0.1:13579] [--data-dir DIR | --database-url URL]")
			return 2
		}
		err = sandboxNCALayer(ctx, rest[1:], stdout, stderr)
	case "loadgen":
		return loadgen.Command(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "senim: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "senim %s: %v\n", cmd, err)
		return 2
	}
	return code
}

func logCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return logcmd.VerifyCmd(ctx, args[1:], stdout, stderr)
		case "audit":
			return logcmd.AuditCmd(ctx, args[1:], stdout, stderr)
		case "key":
			if err := logKeyCmd(ctx, args[1:], stdout, stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stderr, "senim log key: %v\n", err)
				return 2
			}
			return 0
		}
	}
	fmt.Fprintln(stderr, "usage: senim log verify BUNDLE [--key KEY] [--checkpoint FILE | --server URL]\n       senim log audit --server URL [--key KEY] [--from FILE] [--save FILE] [--database-url URL]\n       "+logKeyUsage)
	return 2
}

const logKeyUsage = "senim log key list|rotate|retire KEY|import FILE [--data-dir DIR | --database-url URL] [--kek-file FILE | --sandbox] [--log-origin ORIGIN]"

// logKeyCmd lists, rotates and retires the log's signing keys in the database
// (docs/log.md): rotate adds a key that co-signs every checkpoint with the old
// one; retire stops the old one once witnesses and data owners pin the new key;
// import adds another node's old key file as a retired key.
func logKeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg app.Config
		db  dbFlags
	)
	db.register(fs)
	fs.StringVar(&cfg.KEKFile, "kek-file", "", "file with the key-encryption key the servers use")
	fs.BoolVar(&cfg.Sandbox, "sandbox", false, "a sandbox database (its public KEK and origin)")
	fs.StringVar(&cfg.LogOrigin, "log-origin", "", "origin of the log (default senim.kz/log, or senim.kz/log/sandbox)")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: "+logKeyUsage); fs.PrintDefaults() }
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return err
	}
	if len(pos) == 0 || (pos[0] == "retire" || pos[0] == "import") != (len(pos) == 2) || len(pos) > 2 {
		fs.Usage()
		return errors.New("expected list, rotate, retire KEY or import FILE")
	}
	if pos[0] != "list" && pos[0] != "rotate" && pos[0] != "retire" && pos[0] != "import" {
		fs.Usage()
		return fmt.Errorf("unknown subcommand %q", pos[0])
	}
	cfg.DataDir, cfg.DatabaseURL = db.dataDir, db.databaseURL
	d, err := app.OpenDB(ctx, cfg, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.CheckSchema(ctx); err != nil {
		return err
	}
	ks, err := app.LogKeys(cfg, d)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "list":
		keys, err := ks.Keys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "signing"
			if !k.RetiredAt.IsZero() {
				state = "retired " + k.RetiredAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%d\t%s\tcreated %s\t%s\n", k.Seq, k.Key, k.CreatedAt.UTC().Format(time.RFC3339), state)
		}
	case "rotate":
		k, err := ks.Rotate(ctx, actor.System.String())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s\nEvery checkpoint is now signed by the old and the new key. Tell witnesses and data owners\n"+
			"(docs/log.md); once they pin the new key: senim log key retire OLD-KEY\n", k)
	case "retire":
		k, err := ks.Retire(ctx, actor.System.String(), pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retired %s\nIt signs no new checkpoint; the checkpoints it signed still verify.\n", k)
	case "import":
		k, err := ks.ImportRetired(ctx, actor.System.String(), pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %s as a retired key: it verifies the checkpoints it signed and signs nothing.\n", k)
	}
	return nil
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return "senim " + v
}

// dbFlags are the flags that say where the database is.
type dbFlags struct {
	dataDir, databaseURL string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dataDir, "data-dir", "./senim-data", "directory for the embedded SQLite database and other state")
	fs.StringVar(&d.databaseURL, "database-url", "", "PostgreSQL URL (postgres://...); default: SQLite file senim.db in --data-dir")
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format must be json or text, not %q", format)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg       app.Config
		db        dbFlags
		logFormat string
	)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	db.register(fs)
	fs.BoolVar(&cfg.Sandbox, "sandbox", false, "run with demo data and in-process simulators of external systems (never in production)")
	fs.StringVar(&logFormat, "log-format", "json", "log format: json or text")
	ncaAddr := fs.String("sandbox-ncalayer", "127.0.0.1:13579", "with --sandbox: loopback address of the NCALayer simulator, started when the port is free (\"\" = none)")
	fs.BoolVar(&cfg.NoMigrate, "no-migrate", false, "do not apply pending migrations at start (the server still refuses an unknown schema)")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark cookies Secure on plain-HTTP requests too (TLS ends at a proxy)")
	fs.StringVar(&cfg.BMGURL, "bmg-url", "", "base URL of the mobile citizens database adapter")
	fs.StringVar(&cfg.DocsSourceURL, "docs-source-url", "", "base URL of the reference data source of digital documents (docs/adapters.md)")
	fs.StringVar(&cfg.SMSURL, "sms-url", "", "base URL of the \"mobile government\" SMS gateway adapter")
	fs.StringVar(&cfg.AdapterToken, "adapter-token", "", "bearer token for the БМГ and SMS adapters")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate chain for serving HTTPS (enables mutual TLS for organizations)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	var cas, anchors, crls cli.StringList
	fs.Var(&cas, "ca", "trusted CA certificate file, DER or PEM (repeatable; self-signed ones are roots, others only build chains)")
	fs.Var(&anchors, "ca-anchor", "CA certificate file trusted directly as an anchor, root or intermediate, DER or PEM (repeatable)")
	fs.Var(&crls, "crl", "CRL file of a trusted CA, DER or PEM (repeatable)")
	fs.StringVar(&cfg.NCANodeAddr, "ncanode-addr", "", "serve the NCANode-compatible API on this address (internal networks only: clients send it private keys)")
	fs.StringVar(&cfg.ConfirmPolicy, "confirm-policy", "", "EDS-or-push policy file (JSON, format senim.kz/confirm/policy/v1) replacing the embedded default")
	fs.StringVar(&cfg.TSAURL, "tsa-url", "", "RFC 3161 time-stamping authority for CMS signing (the sandbox uses its own)")
	archiveOCSP := fs.Bool("archive-ocsp", false, "archive ingest asks OCSP beside the CRLs and embeds the answers (on in the sandbox)")
	gostVerifier := fs.String("gost-verifier", edsfast.Fast, "GOST 2015-512 signature verification: fast (our verifier) or reference (go-cryptobin)")
	streebogImpl := fs.String("streebog", edsfast.Fast, "Streebog (GOST R 34.11-2012) hashing: fast (package streebog) or reference (go-cryptobin)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "URL where Senim is reached: the issuer of security tokens (default http://ADDR)")
	var regulators cli.StringList
	fs.Var(&regulators, "regulator-bin", "BIN of the authorized body that keeps the directories (repeatable)")
	fs.StringVar(&cfg.LogOrigin, "log-origin", "", "origin line of the log's checkpoints (default senim.kz/log, or senim.kz/log/sandbox)")
	fs.StringVar(&cfg.KEKFile, "kek-file", "", "file with the key-encryption key (32 random bytes, base64) sealing the log's key in the database; the same on every node (required without --sandbox)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", "", "host:port of the SMTP submission server for e-mail notifications (off when empty)")
	fs.StringVar(&cfg.SMTPTLS, "smtp-tls", "starttls", "TLS to the SMTP server: starttls or implicit")
	fs.StringVar(&cfg.SMTPUser, "smtp-user", "", "SMTP user name (PLAIN authentication after TLS)")
	fs.StringVar(&cfg.SMTPPasswordFile, "smtp-password-file", "", "file holding the SMTP password")
	fs.StringVar(&cfg.MailFrom, "mail-from", "", "sender address of e-mail notifications, e.g. noreply@senim.kz")
	fs.StringVar(&cfg.VAPIDSubject, "vapid-subject", "", "contact in Web Push VAPID tokens: mailto:… or an https URL (default mailto:noreply@senim.kz)")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 20, "requests per second per client on public endpoints")
	fs.Float64Var(&cfg.RateBurst, "rate-burst", 40, "burst size of the per-client rate limit")
	fs.DurationVar(&cfg.ArchiveSealInterval, "archive-seal-interval", app.DefaultArchiveSealInterval, "with a TSA: how often the archive's unsealed documents are sealed under a new evidence record (job archive_seal)")
	fs.IntVar(&cfg.ArchiveSealMax, "archive-seal-max", app.DefaultArchiveSealMax, "at most this many documents sealed by one run (one evidence record)")
	fs.DurationVar(&cfg.ArchiveRenewInterval, "archive-renew-interval", app.DefaultArchiveRenewInterval, "how often the archive looks for archive time-stamps and hash trees to renew (job archive_renew)")
	fs.DurationVar(&cfg.ArchiveRenewBefore, "archive-renew-before", 365*24*time.Hour, "renew an archive time-stamp when its TSA certificate expires within this time")
	fs.StringVar(&cfg.ArchiveBlobDir, "archive-blobs", "", "keep the archive's documents and signatures as files in this directory (absolute; shared by every node) instead of the database; bytes stored earlier are still read from the database")
	archiveHashPolicy := fs.String("archive-hash-policy", "", "hash policy file of the archive's jobs (the format of internal/archive/hashpolicy.json) instead of the built-in one")
	var gc server.GC
	fs.StringVar(&gc.Percent, "gc-percent", "", fmt.Sprintf("the garbage collector's growth target (GOGC): a number, or off with a memory limit (default GOGC if set, else %d)", server.DefaultGCPercent))
	fs.StringVar(&gc.MemoryLimit, "memory-limit", "", "soft memory limit of the Go runtime (GOMEMLIMIT), e.g. 2GiB (default GOMEMLIMIT if set, else none)")
	archiveHash := fs.String("archive-hash", "", "dotted OID of the hash of the archive's new hash trees (default Streebog-512, 1.2.398.3.10.1.3.3)")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q", pos)
	}
	if cfg.ArchiveSealInterval <= 0 || cfg.ArchiveRenewInterval <= 0 || cfg.ArchiveRenewBefore <= 0 || cfg.ArchiveSealMax <= 0 {
		return errors.New("--archive-seal-interval, --archive-renew-interval, --archive-renew-before and --archive-seal-max must be positive")
	}
	if *archiveHashPolicy != "" {
		b, err := os.ReadFile(*archiveHashPolicy)
		if err != nil {
			return fmt.Errorf("--archive-hash-policy: %w", err)
		}
		if cfg.ArchiveWeakFrom, err = archive.ParseHashPolicy(b); err != nil {
			return fmt.Errorf("--archive-hash-policy: %w", err)
		}
	}
	if cfg.ArchiveBlobDir != "" && !filepath.IsAbs(cfg.ArchiveBlobDir) {
		return fmt.Errorf("--archive-blobs: %q is not an absolute path", cfg.ArchiveBlobDir)
	}
	if *archiveHash != "" {
		if cfg.ArchiveHash, err = archive.ParseHashOID(*archiveHash); err != nil {
			return fmt.Errorf("--archive-hash: %w", err)
		}
	}
	cfg.DataDir, cfg.DatabaseURL = db.dataDir, db.databaseURL
	cfg.CAFiles, cfg.CRLFiles, cfg.CAAnchorFiles = cas, crls, anchors
	cfg.RegulatorBINs = regulators
	if cfg.Sandbox {
		cfg.SandboxNCALayerAddr = *ncaAddr
	}
	cfg.ArchiveOCSP = boolOr(fs, "archive-ocsp", *archiveOCSP, cfg.Sandbox)
	if err := edsfast.Use(*gostVerifier); err != nil {
		return err
	}
	if err := edsfast.UseStreebog(*streebogImpl); err != nil {
		return err
	}
	gcPercent, memLimit, err := gc.Apply(os.Getenv)
	if err != nil {
		return err
	}
	log, err := newLogger(logFormat, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, cfg.Addr, func(addr net.Addr) {
		log.InfoContext(ctx, "senim listening", slog.String("addr", addr.String()), slog.String("version", versionString()),
			slog.Int("gc_percent", gcPercent), slog.Int64("memory_limit", memLimit))
		if cfg.Sandbox {
			a.PrintSandboxWelcome(stdout, addr)
		}
	})
}

// boolOr is the boolean flag name's value when it was given, else dflt: a flag whose
// default depends on another (on in the sandbox) and can still be turned off.
func boolOr(fs *flag.FlagSet, name string, val, dflt bool) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if set {
		return val
	}
	return dflt
}

// sandboxNCALayer runs the sandbox's NCALayer simulator alone, for a sandbox whose
// server runs elsewhere on the same database (the CA and the demo keys are shared
// through it). It listens on loopback only, with a certificate from the sandbox CA;
// never in production.
func sandboxNCALayer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox ncalayer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	addr := fs.String("addr", "127.0.0.1:13579", "loopback address to listen on (NCALayer's is 127.0.0.1:13579)")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q", pos)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A data directory of its own for the CA's files: two processes must not share
	// one; the authorities come from the database.
	dir, err := os.MkdirTemp("", "senim-ncalayer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := app.Config{Sandbox: true, DataDir: db.dataDir, DatabaseURL: db.databaseURL, SandboxCADir: filepath.Join(dir, "ca"),
		SandboxNCALayerAddr: *addr, Addr: "127.0.0.1:8080"}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.NCALayerTLS == nil {
		return fmt.Errorf("the NCALayer simulator could not listen on %s (is NCALayer or a sandbox server using the port?)", *addr)
	}
	fmt.Fprintf(stdout, "SANDBOX NCALayer simulator at %s; confirm signatures at %s/\n", a.Config.SandboxNCALayer,
		"https://"+strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://"))
	<-ctx.Done()
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q", pos)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	d, err := app.OpenDB(ctx, app.Config{DataDir: db.dataDir, DatabaseURL: db.databaseURL}, log)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, known, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema version %d of %d\n", n, cur, known)
	return nil
}

func kzidCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("kzid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "", "parse as iin or bin regardless of the fifth digit")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: senim kzid [--kind iin|bin] NUMBER"); fs.PrintDefaults() }
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return 2, err
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2, errors.New("exactly one NUMBER is required")
	}
	var n *kzid.Number
	switch *kind {
	case "":
		n = kzid.Parse(pos[0], nil)
	case "iin":
		n = kzid.ParseIIN(pos[0], nil)
	case "bin":
		n = kzid.ParseBIN(pos[0], nil)
	default:
		return 2, fmt.Errorf("--kind must be iin or bin")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(n); err != nil {
		return 2, err
	}
	if !n.Valid {
		return 1, nil
	}
	return 0, nil
}
