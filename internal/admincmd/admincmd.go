// Package admincmd is `senim admin`: the authorized body's directories of
// personal-data access control kept from the command line, through package pd, and
// the organisation directory that names organisations to citizens, through package
// identity.
package admincmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
)

const adminUsage = `usage: senim admin [--database-url URL] [--as NAME] COMMAND

Keeps the directories of personal-data access control and the organisation
directory on the database directly (the same changes as the admin API, each an
outbox event by admin:NAME).

  list data-owners|service-codes|grounds|permissions|objects|organizations
  put  data-owner|service-code|ground|object|organization FILE.json
                                    (the admin API's JSON; - = stdin)
  permissions BIN [GROUND...]       set the grounds BIN may use in protocol mode
  history OBJECT-ID                 the changes of a trusted object
  tr2 on|off                        the TR-2 switch
  rotate-key                        retire the security-token key, start a new one
  rotate-key --compromised          the same for a key that leaked: the old key also
                                    leaves /.well-known/jwks.json at once, so tokens it
                                    signed are refused from then on
  withdraw-key KID                  take a retired key out of /.well-known/jwks.json now
`

// Command is `senim admin ...` (see adminUsage). Exit 0: done; 1: the change was
// refused or failed; 2: bad usage.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	dbURL := fs.String("database-url", "", "the database (SENIM_DATABASE_URL)")
	as := fs.String("as", os.Getenv("USER"), "who makes the change (recorded as admin:NAME)")
	compromised := fs.Bool("compromised", false, "rotate-key: the key leaked; withdraw it from the published set at once")
	rest, err := cli.Parse(fs, args, os.LookupEnv)
	if err != nil {
		return 2
	}
	if len(rest) == 0 || *dbURL == "" || *as == "" {
		fs.Usage()
		return 2
	}
	db, err := store.Open(ctx, *dbURL, store.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		fmt.Fprintln(stderr, "admin:", err)
		return 1
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		fmt.Fprintln(stderr, "admin:", err)
		return 1
	}
	s := pd.NewDirectoryService(db, time.Now)
	if *compromised && rest[0] != "rotate-key" {
		fmt.Fprintln(stderr, "admin: --compromised goes with rotate-key only")
		return 2
	}
	code, err := runAdmin(ctx, s, identity.NewDirectory(db, time.Now), actor.Operator(*as).String(), rest, *compromised, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "admin:", err)
	}
	if code == 2 {
		fs.Usage()
	}
	return code
}

func runAdmin(ctx context.Context, s *pd.Service, orgs *identity.Service, actor string, args []string, compromised bool, stdout io.Writer) (int, error) {
	out := func(v any, err error) (int, error) {
		if err != nil {
			return 1, err
		}
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return 0, e.Encode(v)
	}
	read := func(path string, v any) error {
		var b []byte
		var err error
		if path == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
	switch {
	case args[0] == "list" && len(args) == 2:
		switch args[1] {
		case "data-owners":
			return out(s.DataOwners(ctx))
		case "service-codes":
			return out(s.ServiceCodes(ctx))
		case "grounds":
			return out(s.Grounds(ctx))
		case "permissions":
			return out(s.ProtocolPermissions(ctx))
		case "objects":
			return out(s.TrustedObjects(ctx, ""))
		case "organizations":
			return out(orgs.Organizations(ctx))
		}
	case args[0] == "put" && len(args) == 3:
		switch args[1] {
		case "data-owner":
			var v pd.DataOwner
			if err := read(args[2], &v); err != nil {
				return 1, err
			}
			return out(s.PutDataOwner(ctx, actor, v))
		case "service-code":
			var v pd.ServiceCode
			if err := read(args[2], &v); err != nil {
				return 1, err
			}
			return out(s.PutServiceCode(ctx, actor, v))
		case "ground":
			var v pd.Ground
			if err := read(args[2], &v); err != nil {
				return 1, err
			}
			return out(s.PutGround(ctx, actor, v))
		case "object":
			var v pd.TrustedObject
			if err := read(args[2], &v); err != nil {
				return 1, err
			}
			return out(s.PutTrustedObject(ctx, actor, v))
		case "organization":
			var v identity.Organization
			if err := read(args[2], &v); err != nil {
				return 1, err
			}
			return out(orgs.PutOrganization(ctx, actor, v))
		}
	case args[0] == "permissions" && len(args) >= 2:
		return out(map[string]any{"bin": args[1], "grounds": slices.Sorted(maps.Keys(setOf(args[2:])))}, s.SetProtocolPermissions(ctx, actor, args[1], args[2:]))
	case args[0] == "history" && len(args) == 2:
		return out(s.TrustedObjectHistory(ctx, args[1]))
	case args[0] == "tr2" && len(args) == 2 && (args[1] == "on" || args[1] == "off"):
		return out(map[string]bool{"enforced": args[1] == "on"}, s.SetTR2(ctx, actor, args[1] == "on"))
	case args[0] == "rotate-key" && len(args) == 1 && !compromised:
		return out(map[string]string{"status": "rotated"}, s.RotateTokenKey(ctx, actor))
	case args[0] == "rotate-key" && len(args) == 1:
		kids, err := s.RotateCompromisedTokenKey(ctx, actor)
		return out(map[string]any{"status": "rotated", "withdrawn": kids}, err)
	case args[0] == "withdraw-key" && len(args) == 2:
		return out(map[string]string{"status": "withdrawn", "kid": args[1]}, s.WithdrawTokenKey(ctx, actor, args[1]))
	}
	return 2, errors.New("unknown command")
}

// setOf is the set of xs, for printing the grounds as pd stores them (sorted, unique).
func setOf(xs []string) map[string]struct{} {
	m := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		m[x] = struct{}{}
	}
	return m
}
