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
	// Handlers also says where an agent runs each Remote handler of a
	// clean script (--handlers). Default: false.
	Handlers bool
}

// NewCmdVet returns the vet command: its arguments become VetOptions for
// runF, or for runVet if runF is nil.
func NewCmdVet(out *output, runF func(context.Context, *VetOptions) error) *cobra.Command {
	opts := &VetOptions{IO: out}
	cmd := &cobra.Command{
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
them in, as the CLI leaves them when it runs the script.

With --handlers, vet also prints, for each traces.On call outside Local,
where the agents run its handler: where its probe fires (a handler that
ends by construction, when nothing is queued before it), or on the
script's goroutine, with the first thing that keeps it from running
where its probe fires (see docs/scripts.md, "Where handlers run").`,
		Example: `  jstrace vet examples/scripts/*.go
  jstrace vet --handlers examples/scripts/latency-by-status.go`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVet(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Handlers, "handlers", false, "also say where the agents run each Remote handler, whether each Every callback compiles, and why")
	return cmd
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
		if len(errs) == 0 && opts.Handlers {
			places, err := sandbox.Handlers(path, srcs[i])
			if err != nil {
				return err // vetScript found none: cannot happen
			}
			for _, p := range places {
				if p.Every {
					opts.IO.write(opts.IO.stdout, fmt.Sprintf("%s: Every callback %s\n", p.Pos, everyPlace(p)))
					continue
				}
				where := "runs where its probe fires, compiled"
				switch {
				case !p.Inline:
					where = "runs on the script's goroutine: " + p.Why
				case !p.Compiled:
					where = "runs where its probe fires, interpreted: " + p.NotCompiled
				}
				opts.IO.write(opts.IO.stdout, fmt.Sprintf("%s: handler %s\n", p.Pos, where))
			}
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

// everyPlace says whether an Every callback runs compiled, and if not
// why.
func everyPlace(p sandbox.HandlerPlace) string {
	switch {
	case !p.Inline:
		return "interpreted: " + p.Why
	case !p.Compiled:
		return "interpreted: " + p.NotCompiled
	}
	return "compiled"
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
