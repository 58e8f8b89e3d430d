package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/jobs"
)

// The periodic jobs of `senim serve`, run by one engine (internal/jobs) on exactly one
// node at a time (docs/deployment.md).
const (
	// JobArchiveSeal puts the archive's unsealed documents under a new evidence record.
	JobArchiveSeal = "archive_seal"
	// JobArchiveRenew renews the archive time-stamps and hash trees that are due.
	JobArchiveRenew = "archive_renew"
	// JobArchiveBlobs deletes the archive's blobs that nothing references.
	JobArchiveBlobs = "archive_blobs"
	// JobNotifyEscalate applies the notification point's escalation policy.
	JobNotifyEscalate = "notify_escalate"
)

// Defaults of the archive's jobs (serve's --archive-* flags).
const (
	DefaultArchiveSealInterval  = time.Hour
	DefaultArchiveSealMax       = 100000
	DefaultArchiveRenewInterval = 24 * time.Hour
	// archiveBlobsInterval is how often unreferenced blobs are looked for; each is left
	// alone for archive.DefaultBlobGrace after it was last put.
	archiveBlobsInterval = 24 * time.Hour
	// escalateInterval is how often the notification point's policy is applied (the
	// dispatcher did it every ten seconds before).
	escalateInterval = 10 * time.Second
)

// ArchiveSealJob seals up to max unsealed documents every interval: one evidence
// record, one archive time-stamp. `senim archive seal` runs a job of the same name.
func ArchiveSealJob(svc *archive.Service, interval time.Duration, max int, log *slog.Logger) jobs.Job {
	return jobs.Job{Name: JobArchiveSeal, Interval: interval, Lease: 10 * time.Minute,
		Run: func(ctx context.Context, _ *jobs.Lease) error {
			n, err := svc.Seal(ctx, max)
			if n > 0 {
				log.InfoContext(ctx, "archive: documents sealed", slog.Int("documents", n))
			}
			return err
		}}
}

// ArchiveRenewJob looks every interval for archive time-stamps and hash trees that the
// preservation policy says to renew, and renews them. `senim archive renew` runs a job
// of the same name.
func ArchiveRenewJob(svc *archive.Service, interval time.Duration, log *slog.Logger) jobs.Job {
	return jobs.Job{Name: JobArchiveRenew, Interval: interval, Lease: 10 * time.Minute,
		Run: func(ctx context.Context, _ *jobs.Lease) error {
			r, err := svc.Renew(ctx)
			if r.Renewed > 0 || r.HashTreeBatches > 0 {
				log.InfoContext(ctx, "archive: evidence renewed", slog.Int("time_stamp_batches", r.Renewed),
					slog.Int("hash_tree_batches", r.HashTreeBatches), slog.Int("hash_tree_documents", r.HashTreeDocuments))
			}
			return err
		}}
}

// ArchiveBlobsJob deletes, every interval, the archive's blobs that no document or
// signature references and that were last put more than archive.DefaultBlobGrace ago.
func ArchiveBlobsJob(svc *archive.Service, interval time.Duration, log *slog.Logger) jobs.Job {
	return jobs.Job{Name: JobArchiveBlobs, Interval: interval, Lease: 10 * time.Minute,
		Run: func(ctx context.Context, _ *jobs.Lease) error {
			n, err := svc.CollectBlobs(ctx, 0)
			if n > 0 {
				log.InfoContext(ctx, "archive: unreferenced blobs deleted", slog.Int("blobs", n))
			}
			return err
		}}
}

// buildJobs makes the job engine: the notification point's escalation always, the
// archive's seal, renewal and blob collection when the archive is on.
func (a *App) buildJobs() error {
	cfg := a.Config
	js := []jobs.Job{{Name: JobNotifyEscalate, Interval: escalateInterval, Lease: time.Minute,
		Run: func(ctx context.Context, _ *jobs.Lease) error {
			_, err := a.Notify.Escalate(ctx)
			return err
		}}}
	if a.Archive != nil {
		seal, sealMax, renew := cfg.ArchiveSealInterval, cfg.ArchiveSealMax, cfg.ArchiveRenewInterval
		if seal <= 0 {
			seal = DefaultArchiveSealInterval
		}
		if sealMax <= 0 {
			sealMax = DefaultArchiveSealMax
		}
		if renew <= 0 {
			renew = DefaultArchiveRenewInterval
		}
		js = append(js, ArchiveSealJob(a.Archive, seal, sealMax, a.log), ArchiveRenewJob(a.Archive, renew, a.log),
			ArchiveBlobsJob(a.Archive, archiveBlobsInterval, a.log))
	}
	var err error
	a.Jobs, err = jobs.New(jobs.Config{DB: a.DB, Now: cfg.Now, Logger: a.log}, js...)
	return err
}
