package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// A listing is one of the commands that list stored traces.
type listing int

const (
	listSlow listing = iota
	listErrors
	listRecent
)

// ListOptions are the options of jstrace slow, errors and recent: list
// stored traces, each with the ID to pass to jstrace trace. The zero value
// (with IO set) lists DefaultLimit traces of any service from the embedded
// store at its default path.
type ListOptions struct {
	// IO is where the command writes: required (the NewCmd functions set
	// it).
	IO *output
	StoreOptions
	// Service (--service) and Operation (--operation) keep the traces with
	// a span of that service, or operation. Default "": any.
	Service, Operation string
	// Since (--since) keeps traces that started at or after it: a duration
	// back from now (1h, 30m) or a time (RFC 3339, or YYYY-MM-DD in UTC).
	// Default "": any time the store keeps.
	Since string
	// Day (--day, errors only) lists the failing traces that started on
	// that UTC day, YYYY-MM-DD. Default "": today (UTC).
	Day string
	// Limit (--limit) is how many traces at most (1 to 100). Default 0:
	// tracestore.DefaultLimit (20).
	Limit int
	// JSON (--json) prints one JSON object a line instead of a table.
	// Default false.
	JSON bool

	kind listing
	now  func() time.Time // nil: time.Now (tests set it)
	loc  *time.Location   // of the table's start times; nil: time.Local
}

// NewCmdSlow returns the slow command: the slowest traces, slowest first.
func NewCmdSlow(out *output, runF func(context.Context, *ListOptions) error) *cobra.Command {
	return newListCmd(out, listSlow, runF, &cobra.Command{
		Use:   "slow",
		Short: "List the slowest collected traces, slowest first",
		Long: `List the slowest traces of the store (see jstrace collect), slowest first, one
a line: its ID (for jstrace trace), start, duration, spans, services, root
service and operation, and first error. The store keeps the 100 slowest.`,
		Example: `  jstrace slow --since 1h
  jstrace slow --service payments --json | jq .trace_id`,
	})
}

// NewCmdErrors returns the errors command: the traces with a failed span
// of a day, latest first.
func NewCmdErrors(out *output, runF func(context.Context, *ListOptions) error) *cobra.Command {
	return newListCmd(out, listErrors, runF, &cobra.Command{
		Use:   "errors",
		Short: "List the collected traces with a failed span, of a day, latest first",
		Long: `List the traces of the store (see jstrace collect) with at least one failed
span that started on a day (UTC; default today), latest first, one a line
as jstrace slow does, with the first error's message.`,
		Example: `  jstrace errors
  jstrace errors --day 2026-11-30 --service payments --json`,
	})
}

// NewCmdRecent returns the recent command: the latest traces.
func NewCmdRecent(out *output, runF func(context.Context, *ListOptions) error) *cobra.Command {
	return newListCmd(out, listRecent, runF, &cobra.Command{
		Use:   "recent",
		Short: "List the latest collected traces, latest first",
		Long: `List the latest traces of the store (see jstrace collect), latest first, one
a line as jstrace slow does.`,
		Example: `  jstrace recent --service gateway --limit 50`,
	})
}

// newListCmd completes cmd with the listing's arguments and flags.
func newListCmd(out *output, kind listing, runF func(context.Context, *ListOptions) error, cmd *cobra.Command) *cobra.Command {
	opts := &ListOptions{IO: out, kind: kind}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.fromEnv(cmd)
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return runList(cmd.Context(), opts)
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Service, "service", "", "only traces with a span of this service")
	fs.StringVar(&opts.Operation, "operation", "", "only traces with a span of this operation")
	fs.StringVar(&opts.Since, "since", "", "only traces started since: a duration back from now (1h, 30m) or a time (RFC 3339, YYYY-MM-DD)")
	if kind == listErrors {
		fs.StringVar(&opts.Day, "day", "", "the UTC day, YYYY-MM-DD (default today)")
	}
	fs.IntVar(&opts.Limit, "limit", 0, fmt.Sprintf("at most this many traces, 1 to %d (default %d)", tracestore.MaxLimit, tracestore.DefaultLimit))
	fs.BoolVar(&opts.JSON, "json", false, "one JSON object a line: trace_id, service, operation, duration_ms, start, spans, services, errors, error, root, bottleneck")
	addStoreFlag(cmd, &opts.StoreOptions)
	return cmd
}

// query turns the options into the store's query.
func (o *ListOptions) query() (tracestore.Query, error) {
	q := tracestore.Query{Service: o.Service, Operation: o.Operation, Day: o.Day, Limit: o.Limit}
	if o.Limit < 0 || o.Limit > tracestore.MaxLimit {
		return q, exitf(ExitUsage, "--limit %d: want 1 to %d", o.Limit, tracestore.MaxLimit)
	}
	if o.Day != "" {
		if _, err := time.Parse(time.DateOnly, o.Day); err != nil {
			return q, exitf(ExitUsage, "--day %q: want YYYY-MM-DD", clipArg(o.Day))
		}
	}
	if o.Since != "" {
		now := time.Now
		if o.now != nil {
			now = o.now
		}
		since, err := parseSince(o.Since, now())
		if err != nil {
			return q, withCode(ExitUsage, err)
		}
		q.Since = since
	}
	return q, nil
}

// parseSince reads --since: a duration back from now, or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %s: a duration back from now, not negative", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (1h, 30m) or a time (RFC 3339, YYYY-MM-DD)", clipArg(s))
}

// runList prints the listing, each trace with its bottleneck (which reads
// the trace).
func runList(ctx context.Context, opts *ListOptions) error {
	q, err := opts.query()
	if err != nil {
		return err
	}
	store, err := opts.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	var list []tracestore.Summary
	switch opts.kind {
	case listSlow:
		list, err = store.Slow(ctx, q)
	case listErrors:
		list, err = store.Errors(ctx, q)
	default:
		list, err = store.Recent(ctx, q)
	}
	if err != nil {
		return withCode(ExitStore, opts.storeError("read", err))
	}
	necks, err := bottlenecks(ctx, store, list)
	if err != nil {
		return withCode(ExitStore, opts.storeError("read", err))
	}
	if opts.JSON {
		opts.IO.write(opts.IO.stdout, jsonLines(list, necks))
	} else if len(list) > 0 {
		loc := opts.loc
		if loc == nil {
			loc = time.Local
		}
		opts.IO.write(opts.IO.stdout, table(opts.IO, list, necks, loc))
	}
	if len(list) == 0 {
		what := "traces"
		if opts.kind == listErrors {
			what = "failing traces"
		}
		opts.IO.errorf("no %s in %s%s", what, opts.name(), describeQuery(q))
	}
	return nil
}

// describeQuery says what a query asked, for the message of an empty
// listing.
func describeQuery(q tracestore.Query) string {
	s := ""
	if q.Service != "" {
		s += fmt.Sprintf(" with service %q", q.Service)
	}
	if q.Operation != "" {
		s += fmt.Sprintf(" with operation %q", q.Operation)
	}
	if !q.Since.IsZero() {
		s += " since " + q.Since.Format(time.RFC3339)
	}
	if q.Day != "" {
		s += " on " + q.Day
	}
	return s
}
