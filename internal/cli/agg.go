package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/script"
)

// aggScriptName names jstrace agg's session in the agents' messages.
const aggScriptName = "jstrace-agg.go"

// AggOptions are the options of jstrace agg: the commonest aggregation
// without a script. The zero value (with IO and Probes set) counts the
// matching events of every local agent, printed every second.
type AggOptions struct {
	// IO is where the command writes: required (NewCmdAgg sets it).
	IO *output
	ConnectOptions
	// Probes is the glob of the probes aggregated (the argument).
	Probes string
	// By (--by) names the fields whose values group the events, comma
	// separated. Default "": one group.
	By string
	// Of (--of) names the numeric field whose quantiles each group shows.
	// Default "": counts only.
	Of string
	// Where (--where) keeps only the events whose field satisfies it
	// ("status>=500"). Default "": every event.
	Where string
	// Hist (--hist) is the histogram of Of's values: "log" (log-linear,
	// within 3%), "pow2", or "linear:LO:HI:STEP". Default "log".
	Hist string
	// Every (--every) is how often the table is drawn. Default 1s.
	Every time.Duration
	// Total (--total) draws the totals since the start instead of each
	// interval's. Default false.
	Total bool
	// Top (--top) is how many groups, the largest, are drawn; 0 all.
	// Default 20.
	Top int
	// Unit (--unit) formats Of's values: "duration" (nanoseconds shown as
	// durations), "number", or "auto" (durations for a field named like
	// one: duration, latency, elapsed, pause, …_ns). Default "auto".
	Unit string
	// Duration (--duration) ends the session after this long. Default 0:
	// until Ctrl-C.
	Duration time.Duration
	// Verbose (-v) reports agents joining and leaving. Default false.
	Verbose bool
}

// NewCmdAgg returns the agg command: its flags become AggOptions for
// runF, or for runAgg if runF is nil.
func NewCmdAgg(out *output, runF func(context.Context, *AggOptions) error) *cobra.Command {
	opts := &AggOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "agg [selection flags] <probe-glob> [--by fields] [--of field] [--where cond]",
		Short: "Count or take quantiles of probe events across the cluster, no script needed",
		Long: `jstrace agg aggregates the events of the probes matching the glob in
every selected process, natively in the probe (no interpreted code per
event), merges what all processes send each second into cluster-wide
groups, and draws a table every --every: a row per group of --by values
(largest first, --top of them), the count and rate of events and, with
--of, the minimum, median, 90th and 99th percentiles and maximum of that
field (within 3% with the default histogram). It is the one-line form of
a script using traces.Aggregate, traces.Ship and traces.Merged (see
docs/scripts.md).

--where keeps only the events whose field satisfies a comparison:
"status>=500", "method==GET", "duration>250ms"; ops == != < <= > >=.`,
		Example: `  jstrace agg -t api 'request:end' --by status
  jstrace agg -t api 'request:end' --by path --of duration
  jstrace agg -t api 'request:end' --by path,status --where 'status>=500' --total
  jstrace agg -t api 'db:query' --of rows --hist pow2 --every 5s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			opts.Probes = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAgg(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.By, "by", "", "group by these fields, comma separated")
	fs.StringVar(&opts.Of, "of", "", "show the quantiles of this numeric field")
	fs.StringVar(&opts.Where, "where", "", `keep only events whose field satisfies this: "status>=500"`)
	fs.StringVar(&opts.Hist, "hist", "log", "histogram of --of's values: log, pow2, or linear:LO:HI:STEP")
	fs.DurationVar(&opts.Every, "every", time.Second, "draw the table this often")
	fs.BoolVar(&opts.Total, "total", false, "draw totals since the start instead of each interval's")
	fs.IntVar(&opts.Top, "top", 20, "draw the largest groups only, this many (0: all)")
	fs.StringVar(&opts.Unit, "unit", "auto", "format --of's values: duration, number, or auto (by the field's name)")
	fs.DurationVar(&opts.Duration, "duration", 0, "end the session after this long, as Ctrl-C would")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "report agents joining and leaving")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// runAgg checks the options and runs the built-in script aggScript with
// them as its arguments.
func runAgg(ctx context.Context, opts *AggOptions) error {
	args, err := aggArgs(opts)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	return runSource(ctx, &TraceOptions{
		IO: opts.IO, ConnectOptions: opts.ConnectOptions, Script: aggScriptName, Args: args,
		Duration: opts.Duration, Verbose: opts.Verbose,
	}, aggScriptName, []byte(aggScript))
}

// aggArgs checks opts and returns aggScript's arguments: glob, by, of,
// where, hist, every, "total" or "", top, unit.
func aggArgs(o *AggOptions) ([]string, error) {
	if _, err := match.Compile(o.Probes); err != nil {
		return nil, fmt.Errorf("probe glob: %w", err)
	}
	agg := script.Agg{By: o.By, Of: o.Of, Where: o.Where}
	hist := o.Hist
	switch {
	case hist == "log" || hist == "":
		hist = ""
	case hist == "pow2":
		agg.Hist = script.Pow2()
	case strings.HasPrefix(hist, "linear:"):
		p := strings.Split(hist, ":")
		if len(p) != 4 {
			return nil, fmt.Errorf("--hist %q: want linear:LO:HI:STEP", o.Hist)
		}
		var v [3]float64
		for i, s := range p[1:] {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("--hist %q: %q is not a number", o.Hist, s)
			}
			v[i] = f
		}
		agg.Hist = script.Linear(v[0], v[1], v[2])
	default:
		return nil, fmt.Errorf("--hist %q: want log, pow2 or linear:LO:HI:STEP", o.Hist)
	}
	if o.Of == "" && agg.Hist != (script.Hist{}) {
		return nil, fmt.Errorf("--hist goes with --of: the histogram is of its values")
	}
	if err := agg.Check(); err != nil {
		return nil, err
	}
	if o.Every < 100*time.Millisecond {
		return nil, fmt.Errorf("--every %v: at least 100ms", o.Every)
	}
	if o.Top < 0 {
		return nil, fmt.Errorf("--top %d: at least 0", o.Top)
	}
	unit := o.Unit
	switch unit {
	case "duration", "number":
	case "auto", "":
		unit = "number"
		if durationLike(o.Of) {
			unit = "duration"
		}
	default:
		return nil, fmt.Errorf("--unit %q: want duration, number or auto", o.Unit)
	}
	total := ""
	if o.Total {
		total = "total"
	}
	return []string{o.Probes, o.By, o.Of, o.Where, hist, o.Every.String(), total, strconv.Itoa(o.Top), unit}, nil
}

// durationLike reports whether a field's name says it holds nanoseconds.
func durationLike(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"duration", "latency", "elapsed", "pause", "wait"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return strings.HasSuffix(n, "_ns")
}
