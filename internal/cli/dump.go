package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/recording"
)

// DumpOptions are the options of jstrace dump: fetch the flight recorders
// of the selected agents into one recording. The zero value (with IO and
// Output set) dumps every local agent's whole recorder.
type DumpOptions struct {
	// IO is where the command writes: required (NewCmdDump sets it).
	IO *output
	ConnectOptions
	// Globs are the arguments: only the events of matching probes. Default:
	// none, everything the recorders hold.
	Globs []string
	// Output (-o) is the recording file to write ("-": standard output);
	// compressed if it ends in .gz. Required.
	Output string
}

// NewCmdDump returns the dump command: its flags become DumpOptions for
// runF, or for runDump if runF is nil.
func NewCmdDump(out *output, runF func(context.Context, *DumpOptions) error) *cobra.Command {
	opts := &DumpOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "dump [selection flags] [glob]... -o FILE",
		Short: "Save the flight recorders of the selected agents to a recording",
		Long: `jstrace dump fetches what the flight recorders of the selected agents hold
(the newest events of the probes a service records always, see
JSTRACE_FLIGHT) and writes them into one recording (docs/recording.md), in
time order, each record naming its host, title and pid: jstrace replay runs
a script on it. Glob arguments keep only the events of matching probes.

An agent without a flight recorder is reported; if no selected agent has
one, jstrace dump writes nothing and exits with its own code.`,
		Example: `  jstrace dump -t api -o incident.jsonl.gz
  jstrace dump -H 'web-*' 'request:*' -o requests.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			opts.Globs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDump(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", `recording file to write ("-": standard output; .gz: compressed)`)
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// dumped is one agent's answer.
type dumped struct {
	conn *client.Conn
	head *protocol.Flight
	recs []byte
}

func runDump(ctx context.Context, opts *DumpOptions) error {
	out := opts.IO
	out.raw = opts.Raw
	if opts.Output == "" {
		return exitf(ExitUsage, "jstrace dump needs -o FILE, the recording to write (- for standard output)")
	}
	if err := checkRequestGlobs(opts.Globs); err != nil {
		return err
	}
	// The file is checked before any agent is asked (a dump holds each
	// agent's recorder for a moment): a temporary file beside it, renamed
	// over it once the dump is complete, so that a failed dump leaves the
	// file as it was.
	tmp, err := dumpTemp(opts.Output)
	if err != nil {
		return err
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var (
		mu                 sync.Mutex
		got                []dumped
		noFlight, failures int
	)
	_, err = eachAgent(ctx, out, &opts.ConnectOptions, func(conn *client.Conn) {
		head, recs, err := conn.Dump(&protocol.Dump{Patterns: opts.Globs})
		mu.Lock()
		defer mu.Unlock()
		who := out.field(conn.Origin.Prefix())
		var pe *protocol.Error
		switch {
		case errors.As(err, &pe) && pe.Code == protocol.CodeNoFlight:
			noFlight++
			out.errorf("%s: no flight recorder (start the service with %s=SIZE:PROBES, e.g. 8MiB:request:*)", who, "JSTRACE_FLIGHT")
		case err != nil:
			failures++
			out.errorf("%s: %v", who, err)
		default:
			got = append(got, dumped{conn, head, recs})
		}
	})
	if err != nil {
		return err
	}
	if len(got) == 0 {
		if failures == 0 {
			return exitf(ExitNoFlight, "none of the %d agents selected keeps a flight recorder", noFlight)
		}
		return exitf(ExitConnect, "no flight recorder could be dumped")
	}
	n, err := writeDump(opts, got, tmp)
	if err != nil {
		return err
	}
	if tmp != nil {
		if err := os.Rename(tmp.Name(), opts.Output); err != nil {
			return withCode(ExitRecording, fmt.Errorf("write recording %s: %w", opts.Output, errors.Unwrap(err)))
		}
		tmp = nil
	}
	var overwritten, dropped uint64
	for _, d := range got {
		overwritten += d.head.Overwritten
		dropped += d.head.Dropped
	}
	out.errorf("dumped %d events of %d agents to %s (%d older ones overwritten, %d too large to keep)", n, len(got), opts.Output, overwritten, dropped)
	return nil
}

// dumpTemp creates the temporary file a dump to path is written into, in
// path's directory; nil for standard output.
func dumpTemp(path string) (*os.File, error) {
	if path == "-" {
		return nil, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, withCode(ExitRecording, fmt.Errorf("create recording %s: is a directory", path))
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary file's name means nothing to the user
		}
		return nil, withCode(ExitRecording, fmt.Errorf("create recording %s: %w", path, err))
	}
	return f, nil
}

// writeDump writes the agents' records into one recording, in time order,
// to tmp (standard output if nil), which it closes.
func writeDump(opts *DumpOptions, got []dumped, tmp *os.File) (uint64, error) {
	type entry struct {
		d   *dumped
		rec []byte
		ts  int64
	}
	var all []entry
	var globs []string
	for i := range got {
		d := &got[i]
		for _, g := range d.head.Probes {
			if !slices.Contains(globs, g) {
				globs = append(globs, g)
			}
		}
		for p := d.recs; len(p) > 0; {
			rec, rest, err := protocol.NextRecord(p)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", d.conn.Addr, err)
			}
			r, err := protocol.ParseRecord(rec)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", d.conn.Addr, err)
			}
			all = append(all, entry{d, rec, r.Time})
			p = rest
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int { return cmp.Compare(a.ts, b.ts) })
	if len(opts.Globs) > 0 {
		globs = opts.Globs
	}
	h := recording.Header{Created: time.Now(), Source: "jstrace dump", Globs: globs}
	var w *recording.Writer
	var err error
	if tmp == nil {
		w, err = recording.NewWriter(opts.IO.stdout, h)
	} else {
		w, err = recording.NewFileWriter(tmp, strings.HasSuffix(opts.Output, ".gz"), h)
	}
	failed := func(err error) error {
		return withCode(ExitRecording, fmt.Errorf("write recording %s: %w", opts.Output, err))
	}
	if err != nil {
		return 0, failed(err)
	}
	for _, e := range all {
		o := e.d.conn.Origin
		if err := w.Write(recording.Record{Hostname: o.Hostname, Title: o.Title, PID: o.PID, Event: e.rec}); err != nil {
			w.Close()
			return 0, failed(err)
		}
	}
	for _, d := range got {
		w.AddDropped(d.head.Dropped)
	}
	n := w.Records()
	if err := w.Close(); err != nil {
		return 0, failed(err)
	}
	return n, nil
}

// checkRequestGlobs checks the globs a Dump or a ProbesRequest carries to
// the agents: at most protocol.MaxDumpPatterns, each a valid glob.
func checkRequestGlobs(globs []string) error {
	if len(globs) > protocol.MaxDumpPatterns {
		return exitf(ExitUsage, "%d globs, more than %d", len(globs), protocol.MaxDumpPatterns)
	}
	if _, err := compileGlobs(globs); err != nil {
		return withCode(ExitUsage, err)
	}
	return nil
}
