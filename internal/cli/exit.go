package cli

import (
	"errors"
	"fmt"
	"strings"
)

// Exit codes of jstrace. Every error the CLI returns is mapped to one of
// them here, and only here; ExitCodes says what each means.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitNoAgents    = 3
	ExitScript      = 4
	ExitConnect     = 5
	ExitLost        = 6
	ExitNotFound    = 7
	ExitStore       = 8
	ExitRecording   = 9
	ExitNoFlight    = 10
	ExitInterrupted = 130
)

// ExitCodes is every exit code with its meaning, in order: the one source
// of jstrace --help's list and of docs/operating.md (make updatedocs).
var ExitCodes = []struct {
	Code    int
	Meaning string
}{
	{ExitOK, "the session ran and ended (Ctrl-C, --duration); vet found no problem"},
	{ExitError, "any other failure"},
	{ExitUsage, "bad flags or arguments, or an unreadable script"},
	{ExitNoAgents, "no agent matched the selection"},
	{ExitScript, "the script did not compile or load (file:line:col on stderr), jstrace vet found a problem, or an agent stopped the script for a limit"},
	{ExitConnect, "no matching agent could be attached: unreachable, token, TLS, version"},
	{ExitLost, "every agent went away (or the -p target exited) and none can join any more"},
	{ExitNotFound, "jstrace trace: the trace is not in the store (never collected, or past the store's retention)"},
	{ExitStore, "the trace store could not be opened or read"},
	{ExitRecording, "jstrace record, dump, replay: the recording could not be written, or read: missing, unreadable, not a recording, of a newer version, truncated or corrupt (line and byte offset on stderr)"},
	{ExitNoFlight, "jstrace dump: no selected agent keeps a flight recorder (JSTRACE_FLIGHT)"},
	{ExitInterrupted, "a second Ctrl-C cut the end of the session short"},
}

// exitHelp is the exit codes as --help lists them.
func exitHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range ExitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.Code, e.Meaning)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

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
