package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// watchScriptName names the session of jstrace watch in the agents' messages.
const watchScriptName = "jstrace-watch.go"

// WatchOptions are the options of jstrace watch: print the matching probe
// events of the selected agents as they fire. The zero value (with IO and
// Globs set) watches the agents found by the default selection.
type WatchOptions struct {
	// IO is where the command writes: required (NewCmdWatch sets it).
	IO *output
	ConnectOptions
	// Globs are the arguments: comma lists of probe globs, -glob leaving
	// out. Required.
	Globs []string
	// JSON (--json) prints NDJSON, one object per event. Default false:
	// one line of text per event.
	JSON bool
	// Duration (--duration) ends watching after this long. Default 0:
	// until Ctrl-C or SIGTERM.
	Duration time.Duration
	// Verbose (-v) reports agents joining and leaving. Default false.
	Verbose bool
}

// NewCmdWatch returns the watch command: its flags become WatchOptions
// for runF, or for runWatch if runF is nil.
func NewCmdWatch(out *output, runF func(context.Context, *WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "watch [selection flags] <glob>...",
		Short: "Print matching probe events live, no script needed",
		Long: `jstrace watch prints the probe events of the selected agents whose names
match the globs, one line each: time, host/title/pid, probe and fields.
A glob argument may be a comma list; -glob leaves out what it matches.
With --json it prints NDJSON: one object per event with time (RFC 3339,
nanoseconds), host, title, pid, probe and fields.

It runs as a session: agents that start later join. It ends at Ctrl-C,
SIGTERM, --duration, or, with -p, when the process ends.`,
		Example: `  jstrace watch -p 1234 'request:*'
  jstrace watch -t api 'http:*,-http:layer:*' --json --duration 10s`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			opts.Globs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runWatch(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.JSON, "json", false, "print NDJSON: one object per event")
	fs.DurationVar(&opts.Duration, "duration", 0, "stop watching after this long, as Ctrl-C would")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "report agents joining and leaving")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// runWatch watches until a signal, --duration, or, for a selection that
// cannot grow (-p), the end of its agents.
func runWatch(ctx context.Context, opts *WatchOptions) error {
	return runGlobSession(ctx, globSession{
		opts: &TraceOptions{
			IO: opts.IO, ConnectOptions: opts.ConnectOptions, Script: watchScriptName,
			Duration: opts.Duration, Verbose: opts.Verbose, Wait: true,
		},
		globs: opts.Globs,
		record: func(t *tracer, conn *client.Conn, rec []byte) {
			watchRecord(t, conn, rec, opts.JSON)
		},
	})
}

// watchRecord prints an event, one line. Printing holds the agent back
// while stdout is slow, as Local does.
func watchRecord(t *tracer, conn *client.Conn, rec []byte, asJSON bool) {
	tr, err := scripthost.ParseTrace(rec, conn.Origin)
	if err != nil {
		t.warnOnce("bad record "+conn.Addr, "%s: malformed event: %v", t.who(conn), err)
		return
	}
	if !asJSON {
		t.out.write(t.out.stdout, watchLine(t.out, tr))
		return
	}
	line, err := watchJSON(tr)
	if err != nil {
		t.warnOnce("bad json "+conn.Addr, "%s: %v", t.who(conn), err)
		return
	}
	t.out.mu.Lock() // already safe for a terminal: no printable.Text, which would break the JSON
	io.WriteString(t.out.stdout, line)
	t.out.mu.Unlock()
}

// compileGlobs is the set of the globs to watch.
func compileGlobs(globs []string) (*match.Set, error) { return match.Compile(globs...) }
