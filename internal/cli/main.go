// Package cli implements the jstrace command.
//
// It is laid out as github.com/cli/cli lays out gh: one file per command
// (trace.go, ls.go, vet.go), each with its XOptions struct, a NewCmdX
// that binds flags and arguments to the options and nothing more, and a
// runX(ctx, *XOptions) error that does the work, which tests call
// directly. NewCmdX takes the run function to call, so a test can check
// what the flags of a command line become without running it. Every error
// becomes an exit code in exit.go, and only there.
package cli

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace"
)

// Main runs jstrace with os.Args and returns the process's exit code:
//
//	func main() { os.Exit(cli.Main()) }
func Main() int {
	return Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs jstrace with args and returns its exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := &output{stdout: stdout, stderr: stderr}
	root := newRoot(out)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		out.errorf("%v", err)
		if exitCode(err) == ExitUsage {
			out.errorf("run 'jstrace --help' for usage")
		}
	}
	return exitCode(err)
}

// newRoot returns the jstrace command: trace, with the other commands
// under it. A nil run function means the command's own.
func newRoot(out *output) *cobra.Command {
	root := NewCmdTrace(out, nil)
	root.AddCommand(NewCmdLs(out, nil), NewCmdVet(out, nil))
	root.AddCommand(NewCmdWatch(out, nil))
	root.AddCommand(NewCmdDump(out, nil), NewCmdProbes(out, nil))
	root.AddCommand(NewCmdRecord(out, nil), NewCmdReplay(out, nil))
	root.AddCommand(NewCmdAgg(out, nil))
	root.AddCommand(NewCmdCollect(out, nil), NewCmdShow(out, nil), NewCmdSlow(out, nil), NewCmdErrors(out, nil), NewCmdRecent(out, nil))
	setUsageCodes(root)
	root.Version = jstrace.Version
	root.Flags().BoolP("version", "V", false, "print the version and exit")
	addCompletion(root)
	return root
}

// setUsageCodes makes c and its subcommands report their flag and argument
// errors, and nothing else, with ExitUsage, and print no help of their own
// with errors: Run says where help is.
func setUsageCodes(c *cobra.Command) {
	c.SilenceErrors = true
	c.SilenceUsage = true
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(ExitUsage, err) })
	if validate := c.Args; validate != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			return withCode(ExitUsage, validate(cmd, args))
		}
	}
	for _, sub := range c.Commands() {
		setUsageCodes(sub)
	}
}

// errInterrupted is returned when a second Ctrl-C cuts a session's end.
var errInterrupted = errors.New("interrupted")
