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
	"strings"
	"time"

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

// BlobSweeper is a BlobStore whose unreferenced blobs can be collected (both
// implementations are; Service.CollectBlobs). A blob's time is when its bytes were
// last put: a Put of bytes already stored renews it, so bytes that an ingest has just
// put, and is about to reference, are never old.
type BlobSweeper interface {
	BlobStore
	// Old calls fn with the addresses of the blobs last put before t, a batch at a time.
	Old(ctx context.Context, before time.Time, fn func(addrs []string) error) error
	// Remove deletes the blob addr if it was still last put before t, and says whether
	// it did.
	Remove(ctx context.Context, addr string, before time.Time) (bool, error)
}

// sweepBatch is how many addresses Old gives at a time.
const sweepBatch = 500

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
	Now func() time.Time // default time.Now: when a blob was last put
}

func (s DBBlobs) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Put implements BlobStore. Bytes already stored keep their row; their time becomes
// now (BlobSweeper).
func (s DBBlobs) Put(ctx context.Context, b []byte) (string, error) {
	addr := Address(b)
	_, err := s.DB.ExecContext(ctx, blobPut, addr, b, store.Micros(s.now()))
	return addr, err
}

// PutTx is Put in tx, a transaction of s.DB: the bytes commit with the rows that
// reference them, in one commit (an ingest's; Service.ingest).
func (s DBBlobs) PutTx(ctx context.Context, tx *store.Tx, b []byte) (string, error) {
	addr := Address(b)
	_, err := tx.ExecContext(ctx, blobPut, addr, b, store.Micros(s.now()))
	return addr, err
}

const blobPut = `INSERT INTO archive_blobs (sha256, bytes, created_at) VALUES (?, ?, ?)
		ON CONFLICT (sha256) DO UPDATE SET created_at = excluded.created_at WHERE archive_blobs.created_at < excluded.created_at`

// Old implements BlobSweeper.
func (s DBBlobs) Old(ctx context.Context, before time.Time, fn func(addrs []string) error) error {
	after := ""
	for {
		rows, err := s.DB.QueryContext(ctx, `SELECT sha256 FROM archive_blobs WHERE created_at < ? AND sha256 > ? ORDER BY sha256 LIMIT ?`,
			store.Micros(before), after, sweepBatch)
		if err != nil {
			return err
		}
		var addrs []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			addrs = append(addrs, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(addrs) == 0 {
			return nil
		}
		if err := fn(addrs); err != nil {
			return err
		}
		after = addrs[len(addrs)-1]
	}
}

// Remove implements BlobSweeper.
func (s DBBlobs) Remove(ctx context.Context, addr string, before time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM archive_blobs WHERE sha256 = ? AND created_at < ?`, addr, store.Micros(before))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
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
// leaves either nothing or the whole blob; an existing blob is never rewritten. A
// file's modification time is when its bytes were last put (BlobSweeper).
type FileBlobs struct {
	Dir string
	Now func() time.Time // default time.Now
}

func (s FileBlobs) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
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
	now := s.now()
	if _, err := os.Stat(p); err == nil {
		// Renew its time; gone meanwhile (collected): write it again.
		if err := os.Chtimes(p, now, now); err == nil {
			return addr, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
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
	if err := os.Chtimes(f.Name(), now, now); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", err
	}
	return addr, nil
}

// Old implements BlobSweeper.
func (s FileBlobs) Old(ctx context.Context, before time.Time, fn func(addrs []string) error) error {
	dirs, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var addrs []string
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.Dir, d.Name()))
		if err != nil {
			return err
		}
		for _, f := range files {
			if name, ok := strings.CutSuffix(f.Name(), asideSuffix); ok && addrPattern.MatchString(name) {
				// Moved aside by a Remove that did not finish: back, then judged below
				// when the next run lists it.
				s.restore(filepath.Join(s.Dir, d.Name(), name))
				continue
			}
			if !f.Type().IsRegular() || !addrPattern.MatchString(f.Name()) || f.Name()[:2] != d.Name() {
				continue
			}
			info, err := f.Info()
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if info.ModTime().Before(before) {
				addrs = append(addrs, f.Name())
			}
			if len(addrs) == sweepBatch {
				if err := fn(addrs); err != nil {
					return err
				}
				addrs = nil
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if len(addrs) > 0 {
		return fn(addrs)
	}
	return nil
}

// Remove implements BlobSweeper. The file is first moved aside and its time read
// again there: a Put that renewed it before the move wins and the file is moved back
// (a Put that found it gone meanwhile wrote the same bytes, so moving back over them
// changes nothing). A crash between the move and the end leaves the file aside, where
// Get and the next Old find it and move it back.
func (s FileBlobs) Remove(_ context.Context, addr string, before time.Time) (bool, error) {
	p, err := s.path(addr)
	if err != nil {
		return false, nil
	}
	aside := p + asideSuffix
	if err := os.Rename(p, aside); errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// A Get that found the file missing meanwhile may have moved it back already.
	gone := func(err error) (bool, error) {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	info, err := os.Stat(aside)
	if err != nil {
		return gone(err)
	}
	if !info.ModTime().Before(before) {
		if err := os.Rename(aside, p); err != nil {
			return gone(err)
		}
		return false, nil
	}
	if err := os.Remove(aside); err != nil {
		return gone(err)
	}
	return true, nil
}

// Get implements BlobStore.
func (s FileBlobs) Get(_ context.Context, addr string) ([]byte, error) {
	p, err := s.path(addr)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) && s.restore(p) {
		b, err = os.ReadFile(p)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return checked(addr, b)
}

// asideSuffix names a blob's file that Remove moved aside.
const asideSuffix = ".sweep"

// restore moves back the file of blob path p that a Remove interrupted by a crash left
// aside, and says whether it did. Nothing is lost that way: Remove deletes only the
// file aside, and only once it has checked it is still old.
func (s FileBlobs) restore(p string) bool {
	if _, err := os.Stat(p + asideSuffix); err != nil {
		return false
	}
	return os.Rename(p+asideSuffix, p) == nil
}

// Blobs is the blob store of an archive on db, with now as its clock (nil: time.Now):
// DBBlobs when dir is empty; else FileBlobs under dir, which still reads from DBBlobs
// what it does not hold itself — the bytes of documents stored before the deployment
// chose a directory, so switching to one needs no copy. New bytes go to the directory
// only; both are swept.
func Blobs(db *store.DB, dir string, now func() time.Time) (BlobSweeper, error) {
	if dir == "" {
		return DBBlobs{DB: db, Now: now}, nil
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
	return fallbackBlobs{primary: FileBlobs{Dir: dir, Now: now}, fallback: DBBlobs{DB: db, Now: now}}, nil
}

// fallbackBlobs puts into primary and reads from primary, then fallback.
type fallbackBlobs struct {
	primary, fallback BlobSweeper
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

// Old implements BlobSweeper: the old blobs of both stores. An address in both is
// given twice; Remove then removes it from each in turn.
func (s fallbackBlobs) Old(ctx context.Context, before time.Time, fn func(addrs []string) error) error {
	if err := s.primary.Old(ctx, before, fn); err != nil {
		return err
	}
	return s.fallback.Old(ctx, before, fn)
}

// Remove implements BlobSweeper.
func (s fallbackBlobs) Remove(ctx context.Context, addr string, before time.Time) (bool, error) {
	ok, err := s.primary.Remove(ctx, addr, before)
	if err != nil || ok {
		return ok, err
	}
	return s.fallback.Remove(ctx, addr, before)
}
