package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/sandbox"
)

// VetOptions are the options of jstrace vet: check scripts as jstrace
// would before running them, without a go.mod and without running them.
type VetOptions struct {
	// IO is where the command writes: required (NewCmdVet sets it).
	IO *output
	// Files are the scripts to check (the arguments), at least one.
	Files []string
}

// NewCmdVet returns the vet command: its arguments become VetOptions for
// runF, or for runVet if runF is nil.
func NewCmdVet(out *output, runF func(context.Context, *VetOptions) error) *cobra.Command {
	opts := &VetOptions{IO: out}
	return &cobra.Command{
		Use:   "vet <script.go>...",
		Short: "Check scripts as jstrace would, without running them",
		Long: `vet checks scripts as jstrace and the agents do before they run them:
syntax, the import allowlist, types (against the allowlisted packages'
real types), the constructs the interpreter refuses or does not support,
size limits, and the Remote and Local signatures. It needs no go.mod
(scripts are //go:build ignore, so go vet and go mod tidy do not see
them) and runs no script code.

Problems are printed as file:line:col: message, one a line. vet exits 0
when every script is clean, 4 when one is not, 2 when a file cannot be
read. Imports marked //jstrace:remote are left to the agents that opt
them in, as the CLI leaves them when it runs the script.`,
		Example: `  jstrace vet examples/scripts/*.go`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVet(cmd.Context(), opts)
		},
	}
}

// runVet checks every file, prints the problems found and fails with
// ExitScript if there were any.
func runVet(ctx context.Context, opts *VetOptions) error {
	srcs := make([][]byte, len(opts.Files))
	for i, path := range opts.Files {
		src, err := os.ReadFile(path)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("read script: %w", err))
		}
		srcs[i] = src
	}
	problems, bad := 0, 0
	for i, path := range opts.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs, err := vetScript(path, srcs[i])
		if err != nil {
			return err
		}
		for _, e := range errs {
			opts.IO.write(opts.IO.stderr, e+"\n")
		}
		if len(errs) > 0 {
			problems += len(errs)
			bad++
		}
	}
	if bad > 0 {
		return exitf(ExitScript, "vet: %d problem(s) in %d of %d script(s)", problems, bad, len(opts.Files))
	}
	return nil
}

// vetScript compiles src as the CLI does before it runs a script (the
// sandbox's checks, then the interpreter's compilation of what the CLI
// runs) and returns the problems found, each as file:line:col: message.
// The error is for an interpreter that could not be set up.
func vetScript(path string, src []byte) ([]string, error) {
	x, err := sandbox.New(sandbox.Options{LocalOnly: true})
	if err != nil {
		return nil, err
	}
	_, err = x.Compile(path, src)
	var list sandbox.ErrorList
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &list) {
		return []string{positioned(path, err.Error())}, nil
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = positioned(path, e.Error())
	}
	return out, nil
}

// positioned makes msg start with the file's name, as editors and
// go vet's readers expect, if it does not already.
func positioned(path, msg string) string {
	if strings.HasPrefix(msg, path+":") {
		return msg
	}
	return path + ": " + msg
}
