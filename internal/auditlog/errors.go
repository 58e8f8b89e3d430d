package auditlog

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Sentinel errors. Each is a *problem.Problem with a stable code, so the API layer
// renders it as problem+json as it is; test them with errors.Is.
var (
	// ErrTileMalformed: a tile or entry-bundle path that is not in the C2SP
	// tlog-tiles layout. Fix the client.
	ErrTileMalformed = problem.New(http.StatusBadRequest, "log.tile.malformed", "Malformed tile path")
	// ErrTileNotFound: the tile (or that width of a partial tile) does not exist
	// yet. Fetch a checkpoint first; it names the tiles that exist.
	ErrTileNotFound = problem.New(http.StatusNotFound, "log.tile.not_found", "No such tile")
	// ErrIndexOutOfRange: a leaf index or tree size beyond the current tree.
	ErrIndexOutOfRange = problem.New(http.StatusNotFound, "log.index.out_of_range", "Index or tree size out of range")
	// ErrBadRequest: a proof request whose parameters are missing or malformed.
	ErrBadRequest = problem.New(http.StatusBadRequest, "log.request.invalid", "Invalid log request")
	// ErrLeafNotFound: no leaf has that hash, or no leaf logs that event (yet).
	ErrLeafNotFound = problem.New(http.StatusNotFound, "log.leaf.not_found", "No such leaf")
	// ErrEmptyLog: nothing has been logged yet, so there is no checkpoint.
	ErrEmptyLog = problem.New(http.StatusServiceUnavailable, "log.empty", "The log has no checkpoint yet")
	// ErrNotWitnessed: a witness quorum is configured and no checkpoint has it yet.
	ErrNotWitnessed = problem.New(http.StatusServiceUnavailable, "log.checkpoint.not_witnessed", "No checkpoint has a witness quorum yet")
	// ErrLeafMalformed: a leaf that is not in the leaf format. An auditor treats
	// it as a discrepancy.
	ErrLeafMalformed = problem.New(http.StatusUnprocessableEntity, "log.leaf.malformed", "Malformed log leaf")
	// ErrOpeningMismatch: an event and its opening do not give the leaf.
	ErrOpeningMismatch = problem.New(http.StatusUnprocessableEntity, "log.opening.mismatch", "The event does not match its leaf")
	// ErrBundleMalformed: an evidence bundle that cannot be read.
	ErrBundleMalformed = problem.New(http.StatusBadRequest, "log.bundle.malformed", "Malformed evidence bundle")
	// ErrBundleForged: an evidence bundle whose proof, checkpoint or opening
	// does not verify.
	ErrBundleForged = problem.New(http.StatusUnprocessableEntity, "log.bundle.forged", "The evidence bundle does not verify")
	// ErrCheckpointInvalid: a checkpoint that is malformed, has the wrong
	// origin or lacks a valid signature of the log.
	ErrCheckpointInvalid = problem.New(http.StatusUnprocessableEntity, "log.checkpoint.invalid", "Invalid checkpoint")
	// ErrInconsistent: two checkpoints (or a checkpoint and the tiles) that
	// do not describe one append-only log. Evidence of misbehaviour: keep both.
	ErrInconsistent = problem.New(http.StatusConflict, "log.inconsistent", "The log is inconsistent")
	// ErrCosignatureInvalid: a posted cosignature from no configured witness,
	// or on a checkpoint the log never signed.
	ErrCosignatureInvalid = problem.New(http.StatusUnprocessableEntity, "log.cosignature.invalid", "Invalid cosignature")
	// ErrNotYours: an evidence bundle asked for an event that is not about the
	// asking subject (or is still sealed).
	ErrNotYours = problem.New(http.StatusNotFound, "log.entry.not_found", "No such entry in your history")
)
