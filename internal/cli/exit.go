package cli

import (
	"errors"
	"fmt"
)

// Exit codes of jstrace, documented in docs/operating.md (generated from
// this block by make updatedocs). Every error the CLI
// returns is mapped to one of them here, and only here.
const (
	ExitOK          = 0   // the session ran and ended (Ctrl-C, --duration)
	ExitError       = 1   // any other failure
	ExitUsage       = 2   // bad flags or arguments
	ExitNoAgents    = 3   // no agent matched the selection
	ExitScript      = 4   // the script did not compile or load (or jstrace vet found a problem), or an agent stopped it for a limit
	ExitConnect     = 5   // no matching agent could be attached: unreachable, token, version
	ExitLost        = 6   // every agent went away and none can join any more
	ExitInterrupted = 130 // a second Ctrl-C cut the end of the session short
)

// exitError carries the exit code of an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process's exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return ExitError
}
