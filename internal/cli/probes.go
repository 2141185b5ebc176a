package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// ProbesOptions are the options of jstrace probes: list the probes of the
// selected agents with their hits and fields over a sampling window. The
// zero value (with IO set) lists every probe of every local agent, sampled
// for DefaultProbeWindow.
type ProbesOptions struct {
	// IO is where the command writes: required (NewCmdProbes sets it).
	IO *output
	ConnectOptions
	// Globs are the arguments: only the probes they match. Default: all.
	Globs []string
	// Window (--for) is how long each agent counts the hits: 0 lists the
	// probes without sampling. Default DefaultProbeWindow; at most
	// protocol.MaxProbeWindow.
	Window time.Duration
	// JSON (--json) prints NDJSON, one object per probe and agent.
	// Default false: a table per agent.
	JSON bool
}

// DefaultProbeWindow is the sampling window of jstrace probes.
const DefaultProbeWindow = time.Second

// NewCmdProbes returns the probes command: its flags become ProbesOptions
// for runF, or for runProbes if runF is nil.
func NewCmdProbes(out *output, runF func(context.Context, *ProbesOptions) error) *cobra.Command {
	opts := &ProbesOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "probes [selection flags] [glob]...",
		Short: "List the probes of the selected agents, with hits and fields",
		Long: `jstrace probes lists every probe of the selected agents (those matching the
glob arguments), like bpftrace -lv: for each, the events it fired during a
sampling window (--for, default 1s), that number per second, and the
fields seen on them with the kinds of their values (int, string,
duration...).

Hits are counted in the window only, not since the process started: probes
nobody traces cost one atomic load and count nothing. During the window
each agent subscribes to the matching probes, which then cost what an
enabled probe costs; fields are read from a sample of the events (the
first 16 of each probe, then one in 256), at most 32 per probe. A probe
with no hits in the window is listed without fields. --for 0 lists the
probes without sampling.`,
		Example: `  jstrace probes -t api
  jstrace probes -p 1234 'request:*' --for 5s
  jstrace probes --json | jq -r 'select(.hits > 0) | .probe'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			opts.Globs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runProbes(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Window, "for", DefaultProbeWindow, "how long to count hits and sample fields (0: list only; at most 1m)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print NDJSON: one object per probe and agent")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// probesOf is one agent's catalogue.
type probesOf struct {
	origin string
	conn   *client.Conn
	probes []protocol.ProbeInfo
	window time.Duration
}

func runProbes(ctx context.Context, opts *ProbesOptions) error {
	out := opts.IO
	out.raw = opts.Raw
	if opts.Window < 0 || opts.Window > protocol.MaxProbeWindow {
		return exitf(ExitUsage, "--for %v: want 0 to %v", opts.Window, protocol.MaxProbeWindow)
	}
	if err := checkRequestGlobs(opts.Globs); err != nil {
		return err
	}
	var (
		mu  sync.Mutex
		got []probesOf
	)
	_, err := eachAgent(ctx, out, &opts.ConnectOptions, func(conn *client.Conn) {
		probes, window, err := conn.Probes(&protocol.ProbesRequest{Patterns: opts.Globs, Window: opts.Window})
		if err != nil {
			out.errorf("%s: %v", out.field(conn.Origin.Prefix()), err)
			return
		}
		mu.Lock()
		got = append(got, probesOf{conn.Origin.Prefix(), conn, probes, window})
		mu.Unlock()
	})
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return exitf(ExitConnect, "no agent could list its probes")
	}
	slices.SortFunc(got, func(a, b probesOf) int { return strings.Compare(a.origin, b.origin) })
	for _, g := range got {
		slices.SortFunc(g.probes, func(a, b protocol.ProbeInfo) int { return strings.Compare(a.Name, b.Name) })
	}
	if opts.JSON {
		return printProbesJSON(out, got)
	}
	printProbes(out, got)
	return nil
}

// rate is hits per second over the window.
func rate(hits uint64, window time.Duration) float64 {
	if window <= 0 {
		return 0
	}
	return float64(hits) / window.Seconds()
}

// fieldList formats fields as name:kind|kind.
func fieldList(out *output, fs []protocol.ProbeField) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, out.field(f.Name)+":"+strings.Join(protocol.KindNames(f.Kinds), "|"))
	}
	return strings.Join(parts, " ")
}

func printProbes(out *output, got []probesOf) {
	var b strings.Builder
	for i, g := range got {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %d probes, hits in %v\n", out.field(g.origin), len(g.probes), g.window)
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "PROBE\tHITS\tPER SEC\tFIELDS")
		for _, p := range g.probes {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\n", out.field(p.Name), p.Hits, rate(p.Hits, g.window), fieldList(out, p.Fields))
		}
		tw.Flush()
	}
	out.write(out.stdout, b.String())
}

// probeJSON is a probe in jstrace probes --json.
type probeJSON struct {
	Host      string           `json:"host"`
	Title     string           `json:"title"`
	PID       int              `json:"pid"`
	Probe     string           `json:"probe"`
	Hits      uint64           `json:"hits"`
	PerSecond float64          `json:"per_second"`
	WindowMS  int64            `json:"window_ms"`
	Fields    []probeFieldJSON `json:"fields"`
}

type probeFieldJSON struct {
	Name  string   `json:"name"`
	Kinds []string `json:"kinds"`
}

func printProbesJSON(out *output, got []probesOf) error {
	var b strings.Builder
	for _, g := range got {
		o := g.conn.Origin
		for _, p := range g.probes {
			j := probeJSON{Host: o.Hostname, Title: o.Title, PID: o.PID, Probe: p.Name, Hits: p.Hits,
				PerSecond: rate(p.Hits, g.window), WindowMS: g.window.Milliseconds(), Fields: []probeFieldJSON{}}
			for _, f := range p.Fields {
				j.Fields = append(j.Fields, probeFieldJSON{f.Name, protocol.KindNames(f.Kinds)})
			}
			line, err := json.Marshal(j)
			if err != nil {
				return fmt.Errorf("encode probe %s: %w", p.Name, err)
			}
			b.WriteString(escapeControls(string(line)))
			b.WriteByte('\n')
		}
	}
	out.mu.Lock() // already safe for a terminal: printable.Text would break the JSON
	defer out.mu.Unlock()
	out.stdout.Write([]byte(b.String()))
	return nil
}
