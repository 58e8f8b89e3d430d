package archive

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/senimkz/senim/internal/store"
)

// BlobStore keeps bytes by the hex SHA-256 of their content. Put is idempotent and
// never replaces stored bytes; Get checks that the bytes still hash to their address
// (ErrBlobChanged) and gives ErrNotFound for an unknown one. Implementations: DBBlobs
// (both engines: the sandbox and small deployments) and FileBlobs. An S3-compatible
// store is the next one (the design names it); it needs nothing more than this.
type BlobStore interface {
	Put(ctx context.Context, b []byte) (addr string, err error)
	Get(ctx context.Context, addr string) ([]byte, error)
}

// Address returns the address of b: the lower-case hex SHA-256.
func Address(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var addrPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func checked(addr string, b []byte) ([]byte, error) {
	if Address(b) != addr {
		return nil, fmt.Errorf("%w: %s", ErrBlobChanged, addr)
	}
	return b, nil
}

// DBBlobs keeps blobs in the archive_blobs table.
type DBBlobs struct {
	DB  *store.DB
	Now func() int64 // microseconds; default 0 is replaced by the store's clock at insert
}

// Put implements BlobStore.
func (s DBBlobs) Put(ctx context.Context, b []byte) (string, error) {
	addr := Address(b)
	var now int64
	if s.Now != nil {
		now = s.Now()
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO archive_blobs (sha256, bytes, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, addr, b, now)
	return addr, err
}

// Get implements BlobStore.
func (s DBBlobs) Get(ctx context.Context, addr string) ([]byte, error) {
	var b []byte
	err := s.DB.QueryRowContext(ctx, `SELECT bytes FROM archive_blobs WHERE sha256 = ?`, addr).Scan(&b)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	return checked(addr, b)
}

// FileBlobs keeps blobs as files under Dir: ab/abcdef… (the address, split after two
// characters). Files are written to a temporary name, synced and renamed, so a crash
// leaves either nothing or the whole blob; an existing blob is never rewritten.
type FileBlobs struct {
	Dir string
}

func (s FileBlobs) path(addr string) (string, error) {
	if !addrPattern.MatchString(addr) {
		return "", ErrNotFound
	}
	return filepath.Join(s.Dir, addr[:2], addr), nil
}

// Put implements BlobStore.
func (s FileBlobs) Put(_ context.Context, b []byte) (string, error) {
	addr := Address(b)
	p, _ := s.path(addr)
	if _, err := os.Stat(p); err == nil {
		return addr, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", err
	}
	return addr, nil
}

// Get implements BlobStore.
func (s FileBlobs) Get(_ context.Context, addr string) ([]byte, error) {
	p, err := s.path(addr)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return checked(addr, b)
}

// Blobs is the blob store of an archive on db: DBBlobs when dir is empty; else FileBlobs
// under dir, which still reads from DBBlobs what it does not hold itself — the bytes
// of documents stored before the deployment chose a directory, so switching to one
// needs no copy. New bytes go to the directory only.
func Blobs(db *store.DB, dir string) (BlobStore, error) {
	if dir == "" {
		return DBBlobs{DB: db}, nil
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("archive: the blob directory %q must be an absolute path", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("archive: the blob directory: %w", err)
	}
	// Fail at start, not at the first ingest, when the directory cannot be written.
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("archive: the blob directory is not writable: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	return fallbackBlobs{primary: FileBlobs{Dir: dir}, fallback: DBBlobs{DB: db}}, nil
}

// fallbackBlobs puts into primary and reads from primary, then fallback.
type fallbackBlobs struct {
	primary, fallback BlobStore
}

func (s fallbackBlobs) Put(ctx context.Context, b []byte) (string, error) {
	return s.primary.Put(ctx, b)
}

func (s fallbackBlobs) Get(ctx context.Context, addr string) ([]byte, error) {
	b, err := s.primary.Get(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		return s.fallback.Get(ctx, addr)
	}
	return b, err
}
