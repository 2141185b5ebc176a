package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
)

// LsOptions are the options of jstrace ls: list the reachable agents
// that match the selection. The zero value (with IO set) lists every local
// agent.
type LsOptions struct {
	// IO is where the command writes: required (NewCmdLs sets it).
	IO *output
	ConnectOptions
	// Probes (--probes) also lists each agent's probes. Default false.
	Probes bool
	// JSON (--json) prints NDJSON, one object per agent. Default false: a
	// table.
	JSON bool
}

// NewCmdLs returns the ls command: its flags become LsOptions for runF, or
// for runLs if runF is nil.
func NewCmdLs(out *output, runF func(context.Context, *LsOptions) error) *cobra.Command {
	opts := &LsOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List reachable agents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLs(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print NDJSON: one object per agent")
	cmd.Flags().BoolVar(&opts.Probes, "probes", false, "also list each agent's probes")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// runLs prints the reachable agents that match the selection.
func runLs(ctx context.Context, opts *LsOptions) error {
	out := opts.IO
	out.raw = opts.Raw
	var (
		mu   sync.Mutex
		rows []lsRow
	)
	if _, err := eachAgent(ctx, out, &opts.ConnectOptions, func(conn *client.Conn) {
		mu.Lock()
		rows = append(rows, lsRow{conn.Welcome, conn.Addr})
		mu.Unlock()
	}); err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b lsRow) int {
		return strings.Compare(fmt.Sprint(a.w.Hostname, a.w.PID, a.addr), fmt.Sprint(b.w.Hostname, b.w.PID, b.addr))
	})
	if opts.JSON {
		text, err := lsJSON(rows, opts.Probes)
		if err != nil {
			return err
		}
		out.mu.Lock() // already safe for a terminal: printable.Text would break the JSON
		defer out.mu.Unlock()
		io.WriteString(out.stdout, text)
		return nil
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tTITLE\tHOST\tADDR\tSESSIONS\tPROBES\tVERSION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", r.w.PID, out.field(r.w.Title), out.field(r.w.Hostname), r.addr, r.w.Sessions, len(r.w.Probes), out.field(r.w.Agent))
	}
	tw.Flush()
	if opts.Probes {
		for _, r := range rows {
			fmt.Fprintf(&b, "\n%s/%s/%d probes:\n", out.field(r.w.Hostname), out.field(r.w.Title), r.w.PID)
			for _, p := range r.w.Probes {
				fmt.Fprintf(&b, "  %s\n", out.field(p))
			}
		}
	}
	out.write(out.stdout, b.String())
	return nil
}
