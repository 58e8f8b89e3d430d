// Package jobs runs the named periodic jobs of `senim serve` — the archive's seal and
// renewal, the notification point's escalation — once across every node on one
// database.
//
// Each job has a row in the jobs table (migration 0020). A node runs a job only after
// it has taken the job's lease with one conditional UPDATE: the job is due
// (next_run_at <= now) and no live lease holds it (lease_until <= now). The database
// applies that compare-and-set to one row at a time (PostgreSQL re-checks the
// condition on the row a concurrent UPDATE just committed; SQLite has one writer), so
// with several `senim serve` processes on one database exactly one runs a given job at
// a time — no advisory locks. While a run works its node extends the lease (every
// third of it, and whenever the job calls Lease.Extend); a node that dies mid-run
// stops extending, the lease expires and another node takes the job over. A run that
// finds its lease taken has its context cancelled and records nothing.
//
// A run that succeeds makes the job due again Interval later; one that fails is tried
// again after an exponential backoff with jitter (Backoff, doubled per consecutive
// failure, at most MaxBackoff and at most Interval), all on the injected clock.
//
// A run cut short because the engine stops (the node shuts down) is neither a success
// nor a failure: its lease is freed and the job stays due, so another node runs it at
// once.
//
// Run polls: every Poll it reads each job's row (one indexed read on the reader pool) and
// tries the UPDATE only for a job that is due and free. Jobs are due at times known in
// advance, so a store.DB.Signal nudge between nodes would gain at most one Poll; there is
// none.
//
// A job's state is its schedule, lease, counters and the text of its last error: it
// must hold no personal data, and so must the errors a job returns.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/store"
)

var (
	// ErrBusy: another run holds the job's lease; try again once it has finished.
	ErrBusy = errors.New("jobs: the job is running on a node (its lease is held)")
	// ErrLeaseLost: the run's lease expired and another run took the job over; the
	// run must stop, its result is not recorded.
	ErrLeaseLost = errors.New("jobs: the lease was lost to another run")
	// ErrBadJob: a job's name, interval or function is missing or malformed.
	ErrBadJob = errors.New("jobs: bad job")
)

// Job is a named periodic job.
type Job struct {
	// Name identifies the job across nodes: 1 to 48 characters of a-z, 0-9 and _.
	Name string
	// Interval is the time from a successful run's end to the next run.
	Interval time.Duration
	// Lease is how long a run holds the job before another node may take it over,
	// unless extended. Default 5 minutes; a run extends it every third of it.
	Lease time.Duration
	// Run does the work. ctx is cancelled when the engine stops or the lease is lost.
	Run func(ctx context.Context, l *Lease) error
}

// Config configures an Engine.
type Config struct {
	DB *store.DB
	// Node names this process in lease owners: default host-pid-random. It carries no
	// personal data.
	Node string
	// Now is the clock of schedules and leases. Default time.Now.
	Now func() time.Time
	// Logger receives run failures and lost leases. Default slog.Default().
	Logger *slog.Logger
	// Poll is how often Run looks for due jobs (wall time): one read per job, and a
	// conditional UPDATE when the job is due. Default 1 second.
	Poll time.Duration
	// Backoff is the delay after a first failure, doubled for each further consecutive
	// failure up to MaxBackoff (and the job's Interval). Defaults 10 seconds and 1 hour.
	Backoff, MaxBackoff time.Duration
	// Jitter returns a number in [0, 1): a delay d becomes d/2 + Jitter()·d/2.
	// Default math/rand/v2; tests fix it.
	Jitter func() float64
}

// Engine runs jobs. It is safe for concurrent use.
type Engine struct {
	cfg  Config
	jobs []Job
	log  *slog.Logger

	mu      sync.Mutex
	ensured map[string]bool
}

const defaultLease = 5 * time.Minute

// maxError is how much of a failed run's error text the row keeps.
const maxError = 500

// New validates the jobs and returns an engine for them.
func New(cfg Config, jobs ...Job) (*Engine, error) {
	if cfg.DB == nil {
		return nil, errors.New("jobs: no database")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 10 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.Jitter == nil {
		cfg.Jitter = mrand.Float64
	}
	if cfg.Node == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "node"
		}
		cfg.Node = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), token(4))
	}
	seen := map[string]bool{}
	for i, j := range jobs {
		if err := checkJob(j, true); err != nil {
			return nil, err
		}
		if seen[j.Name] {
			return nil, fmt.Errorf("%w: %q given twice", ErrBadJob, j.Name)
		}
		seen[j.Name] = true
		if j.Lease <= 0 {
			jobs[i].Lease = defaultLease
		}
	}
	return &Engine{cfg: cfg, jobs: jobs, log: cfg.Logger, ensured: map[string]bool{}}, nil
}

func checkJob(j Job, periodic bool) error {
	if j.Name == "" || len(j.Name) > 48 {
		return fmt.Errorf("%w: name %q", ErrBadJob, j.Name)
	}
	for _, c := range j.Name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: name %q", ErrBadJob, j.Name)
		}
	}
	if periodic && j.Interval <= 0 {
		return fmt.Errorf("%w: %s: no interval", ErrBadJob, j.Name)
	}
	if j.Run == nil {
		return fmt.Errorf("%w: %s: no function", ErrBadJob, j.Name)
	}
	return nil
}

// Node is the name this engine's runs hold leases under.
func (e *Engine) Node() string { return e.cfg.Node }

// Run runs the jobs until ctx is done: each job on its own goroutine, which runs the job
// whenever it is due and this node takes its lease, and looks again every Poll.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, j := range e.jobs {
		wg.Go(func() {
			t := time.NewTicker(e.cfg.Poll)
			defer t.Stop()
			for {
				if _, err := e.try(ctx, j); err != nil && ctx.Err() == nil {
					e.log.ErrorContext(ctx, "jobs: claim", slog.String("job", j.Name), slog.String("error", err.Error()))
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// Tick runs, one after the other, every job that is due and whose lease this node
// takes, and returns how many ran. A job's own failure is recorded in its row (see
// List), not returned; the error is the database's. Tests drive the engine with it.
func (e *Engine) Tick(ctx context.Context) (int, error) {
	ran := 0
	var errs []error
	for _, j := range e.jobs {
		ok, err := e.try(ctx, j)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Name, err))
		}
		if ok {
			ran++
		}
	}
	return ran, errors.Join(errs...)
}

// RunNow runs j once now, due or not, under the job's lease (ErrBusy while another run
// holds it): a manual run, such as `senim archive seal`, never overlaps the periodic
// job of the same name. It leaves the schedule as it was and returns j's error.
func (e *Engine) RunNow(ctx context.Context, j Job) error {
	if err := checkJob(j, false); err != nil {
		return err
	}
	if j.Lease <= 0 {
		j.Lease = defaultLease
	}
	if err := e.ensure(ctx, j.Name, j.Interval); err != nil {
		return err
	}
	l, _, err := e.claim(ctx, j, false)
	if err != nil {
		return err
	}
	if l == nil {
		return ErrBusy
	}
	runErr := e.execute(ctx, j, l)
	if err := e.finish(ctx, j, l, runErr, 0, false); err != nil {
		return err
	}
	return runErr
}

// try runs j if it is due and this node takes its lease; it reports whether it ran.
func (e *Engine) try(ctx context.Context, j Job) (bool, error) {
	if err := e.ensure(ctx, j.Name, j.Interval); err != nil {
		return false, err
	}
	// A read first, on the reader pool: most polls find the job not due or leased,
	// and need not take SQLite's writer for an UPDATE that changes nothing.
	var next, until int64
	if err := e.cfg.DB.QueryRowContext(ctx, `SELECT next_run_at, lease_until FROM jobs WHERE name = ?`, j.Name).Scan(&next, &until); err != nil {
		return false, fmt.Errorf("jobs: read %s: %w", j.Name, err)
	}
	if now := store.Micros(e.cfg.Now()); next > now || until > now {
		return false, nil
	}
	l, failed, err := e.claim(ctx, j, true)
	if err != nil || l == nil {
		return false, err
	}
	runErr := e.execute(ctx, j, l)
	if ctx.Err() != nil {
		// The engine is stopping (the node shuts down): the run was cut short, not
		// failed. Its lease is freed and the job stays due, for another node now.
		return true, e.release(j, l)
	}
	if runErr != nil {
		e.log.ErrorContext(ctx, "jobs: run failed", slog.String("job", j.Name), slog.String("error", runErr.Error()))
	}
	return true, e.finish(ctx, j, l, runErr, failed, true)
}

// release frees l without recording a result.
func (e *Engine) release(j Job, l *Lease) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.cfg.DB.ExecContext(ctx, `UPDATE jobs SET lease_owner = '', lease_until = 0 WHERE name = ? AND lease_owner = ?`,
		j.Name, l.token); err != nil {
		return fmt.Errorf("jobs: release %s: %w", j.Name, err)
	}
	return nil
}

// ensure creates j's row, due at once, unless it exists. A periodic job's row that
// an earlier configuration scheduled further away than this node's interval (the
// operator shortened it and restarted) is brought forward to at most one interval
// from now, so a new interval takes effect at once and not after the old one's wait.
func (e *Engine) ensure(ctx context.Context, name string, interval time.Duration) error {
	e.mu.Lock()
	done := e.ensured[name]
	e.mu.Unlock()
	if done {
		return nil
	}
	now := e.cfg.Now()
	if _, err := e.cfg.DB.ExecContext(ctx, `INSERT INTO jobs (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, store.Micros(now)); err != nil {
		return fmt.Errorf("jobs: create %s: %w", name, err)
	}
	if interval > 0 {
		latest := store.Micros(now.Add(interval))
		if _, err := e.cfg.DB.ExecContext(ctx, `UPDATE jobs SET next_run_at = ? WHERE name = ? AND next_run_at > ?`,
			latest, name, latest); err != nil {
			return fmt.Errorf("jobs: schedule %s: %w", name, err)
		}
	}
	e.mu.Lock()
	e.ensured[name] = true
	e.mu.Unlock()
	return nil
}

// claim takes j's lease when it is free (and, if due, when j is due): the
// compare-and-set of the package comment. It returns nil when another run holds it or
// j is not due, and the job's consecutive failures before this run.
func (e *Engine) claim(ctx context.Context, j Job, due bool) (*Lease, int, error) {
	now := e.cfg.Now()
	l := &Lease{e: e, name: j.Name, token: e.cfg.Node + "/" + token(6), d: j.Lease, until: now.Add(j.Lease)}
	q := `UPDATE jobs SET lease_owner = ?, lease_until = ?, last_started_at = ?, runs = runs + 1
		WHERE name = ? AND lease_until <= ?`
	args := []any{l.token, store.Micros(l.until), store.Micros(now), j.Name, store.Micros(now)}
	if due {
		q += ` AND next_run_at <= ?`
		args = append(args, store.Micros(now))
	}
	q += ` RETURNING consecutive_failures`
	var failed int
	err := e.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, q, args...).Scan(&failed)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: claim %s: %w", j.Name, err)
	}
	return l, failed, nil
}

// execute runs j under l, extending the lease every third of it; ctx of the run is
// cancelled when the lease is lost.
func (e *Engine) execute(ctx context.Context, j Job, l *Lease) (err error) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	l.cancel = cancel
	stop := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(max(l.d/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-rctx.Done():
				return
			case <-t.C:
				if err := l.Extend(rctx); err != nil && rctx.Err() == nil {
					e.log.WarnContext(ctx, "jobs: extend lease", slog.String("job", j.Name), slog.String("error", err.Error()))
				}
			}
		}
	}()
	defer func() {
		close(stop)
		<-beat
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s panicked: %v", j.Name, r)
		}
	}()
	return j.Run(rctx, l)
}

// finish records the run's end, if l still holds the lease, and frees it: on success
// the job is due Interval later (periodic runs), on failure after the backoff.
func (e *Engine) finish(ctx context.Context, j Job, l *Lease, runErr error, failedBefore int, periodic bool) error {
	// The run's end is recorded even when the engine is stopping.
	ctx = context.WithoutCancel(ctx)
	now := e.cfg.Now()
	var q string
	var args []any
	switch {
	case runErr == nil && periodic:
		q = `UPDATE jobs SET lease_owner = '', lease_until = 0, last_finished_at = ?, last_error = '', consecutive_failures = 0, next_run_at = ?`
		args = []any{store.Micros(now), store.Micros(now.Add(j.Interval))}
	case runErr == nil:
		q = `UPDATE jobs SET lease_owner = '', lease_until = 0, last_finished_at = ?, last_error = '', consecutive_failures = 0`
		args = []any{store.Micros(now)}
	case periodic:
		q = `UPDATE jobs SET lease_owner = '', lease_until = 0, last_finished_at = ?, last_error = ?, failures = failures + 1,
			consecutive_failures = consecutive_failures + 1, next_run_at = ?`
		args = []any{store.Micros(now), errorText(runErr), store.Micros(now.Add(e.backoff(failedBefore+1, j.Interval)))}
	default:
		q = `UPDATE jobs SET lease_owner = '', lease_until = 0, last_finished_at = ?, last_error = ?, failures = failures + 1,
			consecutive_failures = consecutive_failures + 1`
		args = []any{store.Micros(now), errorText(runErr)}
	}
	res, err := e.cfg.DB.ExecContext(ctx, q+` WHERE name = ? AND lease_owner = ?`, append(args, j.Name, l.token)...)
	if err != nil {
		return fmt.Errorf("jobs: finish %s: %w", j.Name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		e.log.WarnContext(ctx, "jobs: lease lost before the run ended; its result is not recorded", slog.String("job", j.Name))
		return ErrLeaseLost
	}
	return nil
}

// backoff is the delay before the next try after the n-th consecutive failure.
func (e *Engine) backoff(n int, interval time.Duration) time.Duration {
	d := e.cfg.Backoff
	for i := 1; i < n && d < e.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, e.cfg.MaxBackoff, interval)
	return d/2 + time.Duration(e.cfg.Jitter()*float64(d/2))
}

func errorText(err error) string {
	s := err.Error()
	if len(s) <= maxError {
		return s
	}
	s = s[:maxError]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Lease is a run's hold on its job.
type Lease struct {
	e      *Engine
	name   string
	token  string
	d      time.Duration
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	until time.Time
}

// Until is when the lease expires unless extended.
func (l *Lease) Until() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until
}

// Extend renews the lease for its full length from now. It returns ErrLeaseLost, and
// cancels the run's context, when another run has taken the job over.
func (l *Lease) Extend(ctx context.Context) error {
	until := l.e.cfg.Now().Add(l.d)
	res, err := l.e.cfg.DB.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE name = ? AND lease_owner = ?`,
		store.Micros(until), l.name, l.token)
	if err != nil {
		return fmt.Errorf("jobs: extend %s: %w", l.name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if l.cancel != nil {
			l.cancel(ErrLeaseLost)
		}
		return ErrLeaseLost
	}
	l.mu.Lock()
	l.until = until
	l.mu.Unlock()
	return nil
}

// Status is a job's row.
type Status struct {
	Name                string
	NextRunAt           time.Time
	LeaseOwner          string // "" when free; node/run of the holder
	LeaseUntil          time.Time
	LastStarted         time.Time
	LastFinished        time.Time
	LastError           string // "" after a success
	Runs, Failures      int64
	ConsecutiveFailures int
}

// Running reports whether a live lease holds the job at now.
func (s Status) Running(now time.Time) bool { return s.LeaseOwner != "" && s.LeaseUntil.After(now) }

// List returns every job's status by name, for the console and `senim jobs`.
func List(ctx context.Context, db *store.DB) ([]Status, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, next_run_at, lease_owner, lease_until, last_started_at, last_finished_at,
		last_error, runs, failures, consecutive_failures FROM jobs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var s Status
		var next, until, started, finished int64
		if err := rows.Scan(&s.Name, &next, &s.LeaseOwner, &until, &started, &finished, &s.LastError, &s.Runs, &s.Failures,
			&s.ConsecutiveFailures); err != nil {
			return nil, fmt.Errorf("jobs: list: %w", err)
		}
		s.NextRunAt, s.LeaseUntil = micros(next), micros(until)
		s.LastStarted, s.LastFinished = micros(started), micros(finished)
		out = append(out, s)
	}
	return out, rows.Err()
}

// micros is store.FromMicros with 0 as the zero time ("never").
func micros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return store.FromMicros(us)
}
