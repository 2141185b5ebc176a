package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
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
	out := opts.IO
	out.raw = opts.Raw
	include, exclude, err := watchGlobs(opts.Globs)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	sel, err := opts.selector()
	if err != nil {
		return err
	}
	topts := &TraceOptions{
		IO: out, ConnectOptions: opts.ConnectOptions, Script: watchScriptName,
		Duration: opts.Duration, Verbose: opts.Verbose, Wait: true,
	}
	t, err := newTracer(topts, sel, watchScriptName, watchScript(include))
	if err != nil {
		return err
	}
	w := &watcher{t: t, out: out, json: opts.JSON}
	if w.include, err = compileGlobs(include); err != nil {
		return withCode(ExitUsage, err)
	}
	w.exclude = exclude
	t.sink = w.events

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if n, err := t.scan(ctx); n == 0 {
		if permanent(err) || !sel.canGrow() {
			t.eng.Abandon()
			wait, cancel := context.WithTimeout(context.Background(), localTimeout)
			t.eng.Wait(wait)
			cancel()
			return err
		}
		out.errorf("%v: waiting for agents", err)
	}
	defer t.hardDeadline(opts.Duration)()
	reason := t.wait(ctx, sigs)
	return t.shutdown(sigs, reason)
}

// watcher prints the events the agents of a watch session send. Its
// events method is called by the session's connections, concurrently;
// its fields are set before the session starts and then only read.
type watcher struct {
	t                *tracer
	out              *output
	json             bool
	include, exclude *match.Set
}

// events prints the matching events of a batch from an agent, one line
// each. Printing holds the agent back while stdout is slow, as Local does.
func (w *watcher) events(conn *client.Conn, batch []byte) {
	for b := batch; len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			w.t.warnOnce("bad batch "+conn.Addr, "%s: malformed events: %v", w.t.who(conn), err)
			return
		}
		b = rest
		tr, err := scripthost.ParseTrace(rec, conn.Origin)
		if err != nil {
			w.t.warnOnce("bad record "+conn.Addr, "%s: malformed event: %v", w.t.who(conn), err)
			continue
		}
		if !w.include.Match(tr.Name) || w.exclude.Match(tr.Name) {
			continue
		}
		if !w.json {
			w.out.write(w.out.stdout, watchLine(w.out, tr))
			continue
		}
		line, err := watchJSON(tr)
		if err != nil {
			w.t.warnOnce("bad json "+conn.Addr, "%s: %v", w.t.who(conn), err)
			continue
		}
		w.out.mu.Lock() // already safe for a terminal: no printable.Text, which would break the JSON
		io.WriteString(w.out.stdout, line)
		w.out.mu.Unlock()
	}
}

// compileGlobs is the set of the globs to watch.
func compileGlobs(globs []string) (*match.Set, error) { return match.Compile(globs...) }
