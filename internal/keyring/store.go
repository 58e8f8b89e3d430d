package keyring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// Store keeps sealed secrets in the database (table keyring_blobs), one per
// purpose and name, shared by every node. A secret is written once: the first
// node to store a name wins, and every node reads the winner's value.
type Store struct {
	DB  *store.DB
	KEK *KEK
	Now func() time.Time // stamps created_at; time.Now when nil
}

// Get returns the secret stored under purpose and name; ok is false when there
// is none. A secret that does not open is an error (ErrWrongKEK, ErrTampered).
func (s *Store) Get(ctx context.Context, purpose, name string) (secret []byte, ok bool, err error) {
	var sealed []byte
	err = s.DB.QueryRowContext(ctx, "SELECT sealed FROM keyring_blobs WHERE purpose = ? AND name = ?", purpose, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("keyring: read %s %s: %w", purpose, name, err)
	}
	secret, err = s.KEK.Open(purpose, name, sealed)
	if err != nil {
		return nil, false, err
	}
	return secret, true, nil
}

// PutOrGet stores secret under purpose and name unless a secret is stored there
// already, and returns the stored one: secret when this call stored it, else the
// value another node stored first.
func (s *Store) PutOrGet(ctx context.Context, purpose, name string, secret []byte) ([]byte, error) {
	sealed, err := s.KEK.Seal(purpose, name, secret)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if _, err := s.DB.ExecContext(ctx, "INSERT INTO keyring_blobs (purpose, name, sealed, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		purpose, name, sealed, store.Micros(now())); err != nil {
		return nil, fmt.Errorf("keyring: store %s %s: %w", purpose, name, err)
	}
	got, ok, err := s.Get(ctx, purpose, name)
	if err == nil && !ok {
		err = fmt.Errorf("keyring: %s %s vanished after it was stored", purpose, name)
	}
	return got, err
}
