package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/keyring"
)

// Keyring purposes of what the sandbox shares through the database.
const (
	purposeSandboxCA  = "sandbox.ca"  // name "authorities": the CA directory's keys and certificates
	purposeSandboxKey = "sandbox.key" // name "<kind>-<id>-<alg>": a demo party's PKCS#12 key
)

// openSandboxCA opens the sandbox CA in dir so that every sandbox node on one
// database has the same authorities, and so trusts the demo keys any of them
// issued. The authorities' keys and certificates (every *.cer and *.key file of
// the CA directory: roots, intermediates, time-stamping) are one sealed bundle in
// the database. A node that finds the bundle writes it into its directory before
// opening the CA; the first node stores its own. Each node keeps its own
// state.json: serial numbers (random in their low 64 bits, so nodes do not
// collide), revocations and CRL numbers stay per node.
func (a *App) openSandboxCA(ctx context.Context, blobs *keyring.Store, dir string, cfg ca.Config) (*ca.CA, error) {
	stored, ok, err := blobs.Get(ctx, purposeSandboxCA, "authorities")
	if err != nil {
		return nil, err
	}
	if ok {
		if err := writeCAFiles(dir, stored); err != nil {
			return nil, err
		}
	}
	c, err := ca.Open(dir, cfg)
	if err != nil || ok {
		return c, err
	}
	mine, err := readCAFiles(dir)
	if err != nil {
		return nil, err
	}
	won, err := blobs.PutOrGet(ctx, purposeSandboxCA, "authorities", mine)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(won, mine) {
		return c, nil
	}
	// Another node stored its authorities first: take them.
	a.log.InfoContext(ctx, "sandbox CA: taking the authorities another node stored in the database")
	if err := writeCAFiles(dir, won); err != nil {
		return nil, err
	}
	return ca.Open(dir, cfg)
}

func isCAFile(name string) bool {
	return (strings.HasSuffix(name, ".cer") || strings.HasSuffix(name, ".key")) &&
		!strings.HasPrefix(name, ".") && filepath.Base(name) == name
}

// readCAFiles bundles the CA directory's *.cer and *.key files as JSON (a map
// from file name to content; encoding/json sorts the names, so equal
// directories give equal bundles).
func readCAFiles(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: %w", err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.Type().IsRegular() && isCAFile(e.Name()) {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("sandbox CA: %w", err)
			}
			files[e.Name()] = b
		}
	}
	return json.Marshal(files)
}

// writeCAFiles writes a bundle of readCAFiles into dir (0700; files 0600, each
// replaced atomically).
func writeCAFiles(dir string, bundle []byte) error {
	var files map[string][]byte
	if err := json.Unmarshal(bundle, &files); err != nil || len(files) == 0 {
		return errors.New("sandbox CA: the bundle in the database is not readable")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sandbox CA: %w", err)
	}
	for name, b := range files {
		if !isCAFile(name) {
			return fmt.Errorf("sandbox CA: the bundle names a file %q", name)
		}
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sandbox CA: %w", err)
		}
		tmp := filepath.Join(dir, ".tmp-"+name)
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return fmt.Errorf("sandbox CA: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("sandbox CA: %w", err)
		}
	}
	return nil
}

// sharedKeys keeps the sandbox's demo PKCS#12 keys in the database.
type sharedKeys struct{ s *keyring.Store }

func (k sharedKeys) Get(ctx context.Context, name string) ([]byte, bool, error) {
	return k.s.Get(ctx, purposeSandboxKey, name)
}

func (k sharedKeys) PutOrGet(ctx context.Context, name string, p12 []byte) ([]byte, error) {
	return k.s.PutOrGet(ctx, purposeSandboxKey, name, p12)
}
