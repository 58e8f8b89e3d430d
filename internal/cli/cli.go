// Package cli parses the flags of senim's subcommands: flags may stand before or after
// positional arguments ("senim kzid --json 871008401427" and "senim kzid 871008401427
// --json" are the same), "--" ends the flags, and every flag can also be set from an
// environment variable SENIM_<FLAG> (dashes become underscores), which a flag given on
// the command line overrides.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvName returns the environment variable that sets flag name: SENIM_DATA_DIR for
// data-dir.
func EnvName(name string) string {
	return "SENIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Parse parses args with fs, letting flags and positional arguments interleave, then
// fills every flag not given on the command line from its environment variable when
// lookupEnv (os.LookupEnv when nil) has one. It returns the positional arguments.
func Parse(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) ([]string, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// fs.Parse stops at the first non-flag or after "--". Tell them apart by what
		// preceded the rest in args.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v, ok := lookupEnv(EnvName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err))
			}
		}
	})
	return pos, errors.Join(errs...)
}

// StringList is a repeatable string flag (--ca a.cer --ca b.cer). From an environment
// variable it takes a comma-separated list.
type StringList []string

func (l *StringList) String() string { return strings.Join(*l, ",") }

// Set appends v (split on commas when it holds several).
func (l *StringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
