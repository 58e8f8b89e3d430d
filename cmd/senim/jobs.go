package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/jobs"
)

// jobsCmd is `senim jobs`: the periodic jobs of `senim serve` (internal/jobs), one line
// each: when it runs next, which node runs it now, its counters and its last error.
func jobsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errors.New("usage: senim jobs [--data-dir DIR | --database-url URL]")
	}
	d, err := app.OpenDB(ctx, app.Config{DataDir: db.dataDir, DatabaseURL: db.databaseURL}, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.CheckSchema(ctx); err != nil {
		return err
	}
	all, err := jobs.List(ctx, d)
	if err != nil {
		return err
	}
	writeJobs(stdout, all, time.Now())
	return nil
}

func writeJobs(w io.Writer, all []jobs.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tNEXT RUN\tRUNNING ON\tLAST FINISHED\tRUNS\tFAILURES\tLAST ERROR")
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, s := range all {
		on := "-"
		if s.Running(now) {
			on = s.LeaseOwner + " until " + at(s.LeaseUntil)
		}
		last := "-"
		if s.LastError != "" {
			last = fmt.Sprintf("%q (%d in a row)", s.LastError, s.ConsecutiveFailures)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.Name, at(s.NextRunAt), on, at(s.LastFinished), s.Runs, s.Failures, last)
	}
	tw.Flush()
}
