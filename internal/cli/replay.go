package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/recording"
)

// ReplayOptions are the options of jstrace replay: run a script on the
// traces of a recording, offline. The zero value (with IO, File and
// Script set) replays in recorded time.
type ReplayOptions struct {
	// IO is where the command writes: required (NewCmdReplay sets it).
	IO *output
	// File is the recording to read (the first argument). Required.
	File string
	// Script, Expr, Args and Stdin are the script, as TraceOptions has
	// them.
	Script string
	Expr   string
	Args   []string
	Stdin  io.Reader
	// Fast (--fast) replays as fast as the script takes the traces, on a
	// virtual clock. Default false: in recorded time, at Speed.
	Fast bool
	// Speed (--speed) is how many times faster than recorded the traces
	// come. Default (0): 1, in recorded time.
	Speed float64
	// JSON (--json) prints the script's output as NDJSON output events.
	// Default false: as text.
	JSON bool
	// Raw (--raw) prints the script's output as it is. Default false:
	// control characters escaped.
	Raw bool
}

// NewCmdReplay returns the replay command: its arguments and flags
// become ReplayOptions for runF, or for runReplay if runF is nil.
func NewCmdReplay(out *output, runF func(context.Context, *ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "replay FILE {<script.go> | - | -e '<statements>'} [-- <args>...]",
		Short: "Run a script on the traces of a recording, offline",
		Long: `jstrace replay runs a script on the traces of FILE, a recording of
jstrace record (or jstrace dump), with no live service: Local runs as in
a session, and so does Remote, here, one instance per recorded process,
each fed that process's traces; its Emits reach Local as they would.

The traces come in recorded time (--speed 2: twice as fast), or with
--fast as fast as the script takes them. Either way Every follows the
recorded time, not the wall clock, so per-second reports come out as they
would have live. time.Now in the script is still the wall clock: use the
trace's Time.

A truncated recording is replayed up to the cut, then reported (exit 9).`,
		Example: `  jstrace replay checkout.jsonl examples/scripts/response-duration.go
  jstrace replay --fast checkout.jsonl.gz script.go -- /checkout
  jstrace replay --fast rec.jsonl -e 'traces.On("request:end", func(t *script.Trace) { traces.Log(t.Str("path")) })'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("expr") && strings.TrimSpace(opts.Expr) == "" {
				return withCode(ExitUsage, errNoScript)
			}
			dash := cmd.ArgsLenAtDash()
			if len(args) == 0 || dash == 0 {
				return exitf(ExitUsage, "no recording: give the file jstrace record wrote, then the script")
			}
			opts.File = args[0]
			if dash > 0 {
				dash--
			}
			var err error
			if opts.Script, opts.Args, err = scriptArgs(args[1:], dash, opts.Expr != ""); err != nil {
				return err
			}
			if opts.Fast && cmd.Flags().Changed("speed") {
				return exitf(ExitUsage, "--fast and --speed: give one")
			}
			if opts.Speed < 0 || (cmd.Flags().Changed("speed") && !(opts.Speed > 0 && opts.Speed <= math.MaxFloat64)) {
				return exitf(ExitUsage, "--speed %v: give a finite factor above 0", opts.Speed)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReplay(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.Fast, "fast", false, "replay as fast as the script takes the traces (Every still follows recorded time)")
	fs.Float64Var(&opts.Speed, "speed", 1, "replay this many times faster than recorded")
	fs.StringVarP(&opts.Expr, "expr", "e", "", "run these statements as the script's Remote, instead of a script file")
	fs.BoolVar(&opts.JSON, "json", false, "print the script's output as NDJSON, one object per output event")
	fs.BoolVar(&opts.Raw, "raw", false, "print the script's output as it is, control characters included")
	return cmd
}

// runReplay replays the recording until its end or Ctrl-C.
func runReplay(ctx context.Context, opts *ReplayOptions) error {
	out := opts.IO
	out.raw, out.json = opts.Raw, opts.JSON
	name, src, err := readScript(&TraceOptions{Script: opts.Script, Expr: opts.Expr, Stdin: opts.Stdin})
	if err != nil {
		return err
	}
	rd, err := recording.Open(opts.File)
	if err != nil {
		return recordingError(opts.File, err)
	}
	defer rd.Close()
	first, err := rd.Next()
	if err != nil && err != io.EOF {
		return recordingError(opts.File, err)
	}
	rp, err := newReplayer(opts, name, src, first)
	if err != nil {
		return err
	}
	if first.Event == nil {
		out.errorf("warning: %s holds no traces", opts.File)
	}
	if hasRemote(src) {
		out.errorf("Remote runs here, one instance per recorded process, fed that process's recorded traces")
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stop, fed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stop)
		select {
		case <-sigs: // a second one cuts the shutdown short
		case <-ctx.Done():
		case <-fed:
		}
	}()
	n, rerr := rp.run(rd, first, stop)
	close(fed)
	<-stop
	if err := rp.shutdown(sigs); err != nil {
		return err
	}
	if rerr != nil {
		return withCode(ExitRecording, fmt.Errorf("%s: %w (the %d traces before it were replayed)", opts.File, rerr, n))
	}
	return nil
}

// recordingError is the error of a recording that cannot be read.
func recordingError(file string, err error) error {
	var fe *recording.FileError
	if errors.As(err, &fe) {
		return withCode(ExitRecording, fmt.Errorf("%s: %w", file, err))
	}
	return withCode(ExitRecording, fmt.Errorf("read recording: %w", err))
}
