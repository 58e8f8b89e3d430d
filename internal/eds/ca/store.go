package ca

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// The CA directory (mode 0700, every file 0600):
//
//	state.json          serial counter, CRL numbers, every issued certificate's serial,
//	                    issuer, kind, expiry and revocation (no names, no IINs)
//	<authority>.cer     the authority's certificate, DER
//	<authority>.key     its private key, PEM "PRIVATE KEY" (PKCS#8; GOST in the NCA form)
const (
	stateFile    = "state.json"
	stateVersion = 1
)

type state struct {
	Version    int              `json:"version"`
	NextSerial uint64           `json:"next_serial"`
	BaseURL    string           `json:"base_url,omitempty"`
	CRLNumbers map[string]int64 `json:"crl_numbers"`
	Certs      []*certRecord    `json:"certificates"`
}

type certRecord struct {
	Serial    string     `json:"serial"` // lower-case hex
	Issuer    string     `json:"issuer"` // authority name
	Kind      string     `json:"kind"`
	NotAfter  time.Time  `json:"not_after"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Reason    int        `json:"reason,omitempty"`
}

// checkPrivate refuses a file or directory that others can read (not on Windows,
// where the mode bits mean nothing).
func checkPrivate(path string, fi fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %#o, want %#o or stricter (chmod go-rwx)", ErrStore, path, fi.Mode().Perm(), map[bool]fs.FileMode{true: 0o700, false: 0o600}[fi.IsDir()])
	}
	return nil
}

func openDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("%w: %v", ErrStore, err)
		}
		return os.Chmod(dir, 0o700)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrStore, dir)
	}
	return checkPrivate(dir, fi)
}

// readPrivate reads a file after checking its mode; it returns fs.ErrNotExist (wrapped)
// when it is absent.
func readPrivate(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// writeAtomic writes data to path with mode 0600 through a temporary file and a rename,
// so a crash leaves the old or the new content, never a mix.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	return nil
}

func loadState(dir string) (*state, error) {
	data, err := readPrivate(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Version: stateVersion, NextSerial: 1, CRLNumbers: map[string]int64{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStore, stateFile, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%w: %s version %d, this build knows %d", ErrStore, stateFile, st.Version, stateVersion)
	}
	if st.NextSerial == 0 {
		st.NextSerial = 1
	}
	if st.CRLNumbers == nil {
		st.CRLNumbers = map[string]int64{}
	}
	return &st, nil
}

func saveState(dir string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	return writeAtomic(filepath.Join(dir, stateFile), append(data, '\n'))
}

func encodeKey(k *eds.PrivateKey) ([]byte, error) {
	der, err := k.MarshalPKCS8()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func decodeKey(path string, data []byte) (*eds.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s: no PEM PRIVATE KEY block", ErrStore, path)
	}
	k, err := eds.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStore, path, err)
	}
	return k, nil
}
