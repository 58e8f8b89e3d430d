package docs

import (
	"errors"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Writes of shares and views go through a store.Group (group commit), as pd's token
// issuance does: one commit serves every write that was waiting. Each write is a func
// run inside the transaction; one that returns a domain refusal (a *problem.Problem or
// errCodeTaken), which it must do before writing anything, is refused alone and the
// others commit; any other error fails the whole batch.

// maxBatch bounds the writes of one transaction.
const maxBatch = 256

// errCodeTaken: the drawn short code is live in another share; draw again.
var errCodeTaken = errors.New("docs: short code taken")

func refusal(err error) bool {
	var p *problem.Problem
	return errors.Is(err, errCodeTaken) || errors.As(err, &p)
}

func newBatch(db *store.DB) *store.Group[store.Write] {
	return store.GroupFuncs(db, maxBatch, refusal)
}
