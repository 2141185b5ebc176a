package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/recording"
)

// recordScriptName names the session of jstrace record in the agents'
// messages.
const recordScriptName = "jstrace-record.go"

// recordFlushEvery is how often a recording is flushed to its file, so
// that a recorder killed outright leaves all but the last moment.
const recordFlushEvery = time.Second

// RecordOptions are the options of jstrace record: save the matching
// probe events of the selected agents to a file for jstrace replay. The
// zero value (with IO, Output and Globs set) records from the agents found
// by the default selection until Ctrl-C.
type RecordOptions struct {
	// IO is where the command writes: required (NewCmdRecord sets it).
	IO *output
	ConnectOptions
	// Output (-o) is the file to write, "-" for standard output; a name
	// ending in ".gz" is compressed. Required.
	Output string
	// Globs are the arguments: comma lists of probe globs, -glob leaving
	// out. Required.
	Globs []string
	// Duration (--duration) ends recording after this long. Default 0:
	// until Ctrl-C or SIGTERM.
	Duration time.Duration
	// Verbose (-v) reports agents joining and leaving. Default false.
	Verbose bool
}

// NewCmdRecord returns the record command: its flags become
// RecordOptions for runF, or for runRecord if runF is nil.
func NewCmdRecord(out *output, runF func(context.Context, *RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "record -o FILE [selection flags] <glob>...",
		Short: "Save matching probe events to a file, for jstrace replay",
		Long: `jstrace record saves the probe events of the selected agents whose names
match the globs to FILE, a recording (docs/recording.md): NDJSON, one line
per event with its time, host, title, pid, probe and typed fields,
compressed if FILE ends in .gz. "-o -" writes it to standard output.
A glob argument may be a comma list; -glob leaves out what it matches.

It runs as a session, as jstrace watch does: agents that start later
join. It ends at Ctrl-C, SIGTERM, --duration, or, with -p, when the
process ends, and then says how many events it saved and how many the
agents dropped. jstrace replay FILE script.go runs a script on them.`,
		Example: `  jstrace record -o checkout.jsonl -t api 'request:*,sql:*' --duration 1m
  jstrace record -o - -p 1234 'http:*' | jq .fields`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			opts.Globs = args
			if opts.Output == "" {
				return exitf(ExitUsage, "no file to record to: give -o FILE (or -o - for standard output)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRecord(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&opts.Output, "output", "o", "", `the recording to write ("-": standard output; .gz: compressed)`)
	fs.DurationVar(&opts.Duration, "duration", 0, "stop recording after this long, as Ctrl-C would")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "report agents joining and leaving")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// recorder writes the records of a record session. Its write method is
// called by the session's connections, concurrently.
type recorder struct {
	mu        sync.Mutex
	w         *recording.Writer
	malformed uint64 // records the Writer refused
	stop      chan struct{}
	flushed   chan struct{}
}

// runRecord records until a signal, --duration, or, for a selection that
// cannot grow (-p), the end of its agents.
func runRecord(ctx context.Context, opts *RecordOptions) error {
	r := &recorder{stop: make(chan struct{}), flushed: make(chan struct{})}
	var t *tracer
	err := runGlobSession(ctx, globSession{
		opts: &TraceOptions{
			IO: opts.IO, ConnectOptions: opts.ConnectOptions, Script: recordScriptName,
			Duration: opts.Duration, Verbose: opts.Verbose, Wait: true,
		},
		globs: opts.Globs,
		ready: func(tr *tracer) error {
			t = tr
			return r.create(opts)
		},
		record: r.write,
	})
	if r.w == nil {
		return err
	}
	close(r.stop)
	<-r.flushed
	r.mu.Lock()
	defer r.mu.Unlock()
	lost := r.malformed + t.lost()
	r.w.AddDropped(lost)
	n := r.w.Records()
	if cerr := r.w.Close(); cerr != nil {
		return withCode(ExitRecording, fmt.Errorf("%s: %w", opts.Output, cerr))
	}
	if err != nil && n == 0 && opts.Output != "-" {
		os.Remove(opts.Output) // the session never ran: leave no empty recording
		return err
	}
	msg := fmt.Sprintf("recorded %d events to %s", n, opts.Output)
	if lost > 0 {
		msg += fmt.Sprintf("; %d more were dropped and are not in it", lost)
	}
	opts.IO.errorf("%s", msg)
	return err
}

// create opens the recording and starts flushing it every second.
func (r *recorder) create(opts *RecordOptions) error {
	h := recording.Header{Source: "jstrace record", Globs: opts.Globs}
	var err error
	if opts.Output == "-" {
		if r.w, err = recording.NewWriter(opts.IO.stdout, h); err != nil {
			return withCode(ExitRecording, err)
		}
	} else if r.w, err = recording.Create(opts.Output, h); err != nil {
		return withCode(ExitRecording, fmt.Errorf("create recording: %w", err))
	}
	go r.flushLoop()
	return nil
}

func (r *recorder) flushLoop() {
	defer close(r.flushed)
	tick := time.NewTicker(recordFlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			r.mu.Lock()
			r.w.Flush()
			r.mu.Unlock()
		}
	}
}

// write adds a record to the recording. A malformed one is counted and
// reported once; an error writing the file is reported once, and the
// session goes on (Close reports it again).
func (r *recorder) write(t *tracer, c *client.Conn, rec []byte) {
	r.mu.Lock()
	err := r.w.Write(recording.Record{Hostname: c.Origin.Hostname, Title: c.Origin.Title, PID: c.Origin.PID, Event: rec})
	if err != nil && !isWriteError(err) {
		r.malformed++
	}
	r.mu.Unlock()
	if err == nil {
		return
	}
	if isWriteError(err) {
		t.warnOnce("record write", "%v", err)
		return
	}
	t.warnOnce("bad record "+c.Addr, "%s: malformed event not recorded: %v", t.who(c), err)
}

// isWriteError tells an error writing the file from a refused record.
func isWriteError(err error) bool { return !errors.Is(err, protocol.ErrMalformed) }

// lost sums the events the agents dropped: their session buffers were
// full.
func (t *tracer) lost() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n uint64
	for _, a := range t.agents {
		n += a.stats.Dropped
	}
	return n
}
