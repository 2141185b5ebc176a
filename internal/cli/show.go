package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// ShowOptions are the options of jstrace trace <trace-id>: print a stored
// trace as a waterfall. (The command's file and names say show: trace.go
// and NewCmdTrace are jstrace itself, which runs scripts.) The zero value (with IO and TraceID set) reads the
// embedded store at its default path.
type ShowOptions struct {
	// IO is where the command writes: required (NewCmdShow sets it).
	IO *output
	StoreOptions
	// TraceID is the trace to show: 32 hex digits (the argument).
	TraceID string
}

// NewCmdShow returns the trace command of stored traces: its argument and
// flags become ShowOptions for runF, or for runShow if runF is nil.
func NewCmdShow(out *output, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "trace <trace-id>",
		Short: "Print a collected trace as a waterfall, its bottleneck marked",
		Long: `Print a trace of the store (see jstrace collect) as a waterfall: a line per
span, indented under its parent, with its service and operation, a bar
showing when it ran within the trace, and its duration; errors under their
span. The bottleneck, the span of the critical path with the most self
time, is marked and named last. Spans whose parent has not arrived are
marked (orphan); spans of another service drawn outside their parent (clock
skew between hosts) are moved into it.

The width is $COLUMNS, else the terminal's (40 to 1024); colours only on a
terminal, unless NO_COLOR is set.`,
		Example: `  jstrace trace 4bf92f3577b34da6a3ce929d0e0e4736
  jstrace trace --store redis://127.0.0.1:6379/0 4bf92f3577b34da6a3ce929d0e0e4736`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.TraceID = args[0]
			opts.fromEnv(cmd)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runShow(cmd.Context(), opts)
		},
	}
	addStoreFlag(cmd, &opts.StoreOptions)
	return cmd
}

// runShow prints the trace's waterfall.
func runShow(ctx context.Context, opts *ShowOptions) error {
	id, err := traceID(opts.TraceID)
	if err != nil {
		return err
	}
	store, err := opts.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	spans, err := store.Trace(ctx, id)
	switch {
	case errors.Is(err, tracestore.ErrNotFound):
		return exitf(ExitNotFound, "trace %s is not in %s: never collected, or past the store's retention", id, opts.name())
	case err != nil:
		return withCode(ExitStore, opts.storeError("read", err))
	}
	width, color := terminal(opts.IO.stdout)
	var b bytes.Buffer
	writeTrace(&b, id, spans, waterfall.Options{Width: width, Color: color, Bottleneck: true, Orphans: true})
	opts.IO.writeSafe(opts.IO.stdout, b.Bytes())
	return nil
}

// traceID checks a trace ID: 32 hex digits, not all zero. It returns it in
// lowercase, as stores keep it.
func traceID(s string) (string, error) {
	id := strings.ToLower(s)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", exitf(ExitUsage, "trace ID %q: want 32 hex digits, as jstrace slow, errors and recent list them", clipArg(s))
	}
	if strings.Trim(id, "0") == "" {
		return "", exitf(ExitUsage, "trace ID %s: all zero, which no trace has", id)
	}
	return id, nil
}

// clipArg makes an argument fit in a message: at most 40 bytes, escaped.
func clipArg(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}

// writeTrace writes a stored trace's waterfall: a header, its spans and
// the summary (the bottleneck, orphans, clock skew).
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736  8 spans  900.00ms  1 error  gateway, orders, payments
func writeTrace(b *bytes.Buffer, id string, spans []tracestore.Span, o waterfall.Options) {
	ws := waterfallSpans(spans)
	var services []string
	failed, root := 0, false
	for i := range spans {
		s := &spans[i]
		if ws[i].Failed {
			failed++
		}
		root = root || s.ParentID == ""
		if !slices.Contains(services, s.Service) {
			services = append(services, s.Service)
		}
	}
	slices.Sort(services)
	l := waterfall.New(ws, o)
	head := "trace " + id + "  " + waterfall.Plural(len(spans), "span") + "  " + waterfall.FormatDuration(l.Total())
	if failed > 0 {
		head += "  " + waterfall.Plural(failed, "error")
	}
	if !root {
		head += "  (root span not arrived)"
	}
	head += "  " + strings.Join(services, ", ")
	l.WriteHeader(b, head)
	l.WriteSpans(b)
	l.WriteSummary(b)
}

// terminal returns the width of lines written to w and whether to use
// colours: $COLUMNS, else the terminal's width, else 80; colours on a
// terminal unless $NO_COLOR is set or $TERM is dumb.
func terminal(w io.Writer) (width int, color bool) {
	f, _ := w.(*os.File)
	tty := f != nil && waterfall.IsTerminal(f)
	color = tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	if !tty {
		f = nil
	}
	return waterfall.Columns(f), color
}

// writeSafe writes text that is already safe for a terminal (its names
// made printable, its only escape sequences colours of our own) as it is.
func (o *output) writeSafe(w io.Writer, text []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.frames = frames{}
	w.Write(text)
}
