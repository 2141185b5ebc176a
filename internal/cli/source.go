package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/sandbox"
)

// Names under which a script from standard input and a -e one-liner
// appear in messages (file:line:col).
const (
	stdinName = "stdin"
	exprName  = "-e"
)

// scriptArgs splits jstrace's positional arguments into the script (a path,
// "-" for standard input, "" with -e) and the script's arguments, those
// after "--"; dash is the index of "--" in args, -1 if none (cobra's
// ArgsLenAtDash).
func scriptArgs(args []string, dash int, expr bool) (script string, sargs []string, err error) {
	before := args
	if dash >= 0 {
		before, sargs = args[:dash], args[dash:]
	}
	switch {
	case expr && len(before) > 0:
		return "", nil, exitf(ExitUsage, "-e takes no script file (%q): give either, and script arguments after --", before[0])
	case !expr && len(before) == 0:
		return "", nil, exitf(ExitUsage, "no script: give a script file, - for standard input, or -e '<statements>'")
	case !expr && len(before) > 1:
		return "", nil, exitf(ExitUsage, "one script at a time (got %d arguments); the script's arguments go after --", len(before))
	}
	if len(sargs) == 0 {
		sargs = nil
	}
	if err := protocol.CheckArgs(sargs); err != nil {
		return "", nil, withCode(ExitUsage, err)
	}
	if !expr {
		script = before[0]
	}
	return script, sargs, nil
}

// readScript returns the name and source of the script opts describe: the
// file opts.Script, standard input for "-", or the script generated around
// opts.Expr.
func readScript(opts *TraceOptions) (name string, src []byte, err error) {
	switch {
	case opts.Expr != "":
		return exprName, exprScript(opts.Expr, opts.ExprLocal), nil
	case opts.Script == "-":
		src, err := readStdin(opts.Stdin)
		return stdinName, src, err
	}
	src, err = os.ReadFile(opts.Script)
	if err != nil {
		return "", nil, withCode(ExitUsage, fmt.Errorf("read script: %w", err))
	}
	return opts.Script, src, nil
}

// readStdin reads a script from r, at most sandbox.MaxSourceSize bytes.
func readStdin(r io.Reader) ([]byte, error) {
	if r == nil {
		r = os.Stdin
	}
	src, err := io.ReadAll(io.LimitReader(r, sandbox.MaxSourceSize+1))
	switch {
	case err != nil:
		return nil, withCode(ExitUsage, fmt.Errorf("read script from standard input: %w", err))
	case len(src) > sandbox.MaxSourceSize:
		return nil, exitf(ExitUsage, "script on standard input is over %d bytes", sandbox.MaxSourceSize)
	case len(bytes.TrimSpace(src)) == 0:
		return nil, exitf(ExitUsage, "no script on standard input (it was empty): pipe one in, as in jstrace - < script.go")
	}
	return src, nil
}

// exprHead and exprTail surround a -e one-liner: its statements are
// Remote's body (Local's with --local: exprHead's "Remote" is replaced). The //line directive makes every position in them read
// as -e:line:col of the user's text, in compile errors and panics alike;
// positions past the text (a missing brace) read as the line after it.
// The packages imported are the ones one-liners commonly need; the blank
// uses keep the compiler quiet when a one-liner needs none of them.
const (
	exprHead = `//go:build ignore

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
//line ` + exprName + `:1:1
`
	exprTail = `
}

var (
	_ = fmt.Sprint
	_ = strings.Contains
	_ = time.Second
)
`
)

// exprScript returns the script a -e one-liner runs as: the body of
// Remote, or of Local if local.
func exprScript(expr string, local bool) []byte {
	var b strings.Builder
	head := exprHead
	if local {
		head = strings.Replace(head, "func Remote(", "func Local(", 1)
	}
	b.WriteString(head)
	b.WriteString(expr)
	// Positions after the text (a missing brace) read as the line after it.
	fmt.Fprintf(&b, "\n//line %s:%d:1", exprName, strings.Count(expr, "\n")+2)
	b.WriteString(exprTail)
	return []byte(b.String())
}

// errNoScript is what -e "" gives.
var errNoScript = errors.New("-e: no statements")
