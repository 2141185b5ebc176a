package script

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Traces is a script's handle on a tracing session, passed to Remote and
// Local. In Remote it subscribes to the probes of the traced process and
// sends results to Local; in Local it receives raw traces from every
// process and what the Remote functions emitted.
//
// All handlers, Every callbacks and cleanup functions of one script instance
// run one at a time, so script state needs no locks: on the script's
// goroutine, or for handlers that end by construction, on the goroutine
// that fired the probe (see docs/scripts.md, "Where handlers run").
// Traces' methods may be called from them, and from Remote and Local.
type Traces struct {
	host link.Host[Trace]
}

// Args returns the script's arguments: what follows -- on jstrace's
// command line (jstrace script.go -- a b c gives ["a" "b" "c"]), the same
// in Remote and Local; empty if there are none. The slice is the
// caller's to modify. At most 64 arguments of 4 KiB in all reach a script.
func (t *Traces) Args() []string {
	if h, ok := t.host.(interface{ Args() []string }); ok {
		if a := h.Args(); len(a) > 0 {
			return a
		}
	}
	return []string{}
}

// Console streams, as numbered by the protocol.
const (
	streamStdout = 1
	streamStderr = 2
	streamDump   = 3
)

// On calls fn for every trace whose name matches pattern, a glob: "*"
// matches any run of characters (":" included), "?" one character,
// "[abc]" and "[a-z]" one of a set, "{a,b}" either alternative. Examples:
// "request:*", "*:error", "{db,cache}:*".
//
// In Remote, On subscribes to the traced process's probes. In Local, it
// receives the raw traces of matching probes from every process (each sent
// over the wire: prefer Remote for high rates) and the matching events that
// Remote functions emit. Traces of a new pattern come once the function
// that called On (Remote, a handler, a callback) has returned. A
// malformed pattern panics, which fails the script with the pattern's
// position. A pattern that matches no probe in any
// attached process (a typo: "request:ned") makes the CLI warn, naming the
// probes it nearly matches.
func (t *Traces) On(pattern string, fn func(*Trace)) { t.on(pattern, fn, false, link.Loan{}) }

// on is On; bounded says the sandbox proved fn ends in a bounded number
// of steps, loan what it does with its trace (see link.BoundedHost).
func (t *Traces) on(pattern string, fn func(*Trace), bounded bool, loan link.Loan) {
	if fn == nil {
		panic(fmt.Sprintf("traces.On(%q): nil handler", pattern))
	}
	var err error
	if h, ok := t.host.(link.BoundedHost[Trace]); ok && bounded {
		err = h.OnBounded(pattern, fn, loan)
	} else {
		err = t.host.On(pattern, fn)
	}
	if err != nil {
		panic(fmt.Sprintf("traces.On(%.80q): %v", pattern, err))
	}
}

// Aggregate reduces the traces whose name matches pattern (a glob, as for
// On) as they arrive, without calling script code for each: see
// [Aggregation]. Reducing in Remote and emitting what Take returns, say
// once a second, is the cheapest way to watch a busy process. A malformed
// pattern panics. In Remote, a By or Of field that none of the traces has
// (a typo: "duraton") makes the CLI warn, listing the fields they have.
func (t *Traces) Aggregate(pattern string, spec Agg) *Aggregation {
	a, err := newAggregation(spec)
	if err != nil {
		panic(fmt.Sprintf("traces.Aggregate(%.80q): %v", pattern, err))
	}
	if err := t.host.Aggregate(pattern, link.Feed[Trace]{Trace: a.add, Event: a.addEvent, Limit: a.limit, Fields: a.fieldReport}); err != nil {
		panic(fmt.Sprintf("traces.Aggregate(%.80q): %v", pattern, err))
	}
	return a
}

// Emit sends an event from Remote to Local, where handlers subscribed to a
// matching pattern receive it as a *Trace whose Hostname, Title and PID say
// which process emitted it. kv are alternating keys and values, as for
// jstrace.Trace. Choose names that no probe uses: Local's On matches both.
func (t *Traces) Emit(name string, kv ...any) { t.host.Emit(name, kv) }

// Log prints its operands on the CLI's standard output, formatted as
// fmt.Println does. Output of fmt.Print* in Remote goes there too.
func (t *Traces) Log(a ...any) { t.host.Print(streamStdout, sprintln(a)) }

// Logf prints on the CLI's standard output, formatted as fmt.Printf does,
// adding a newline if missing.
func (t *Traces) Logf(format string, a ...any) {
	t.host.Print(streamStdout, line(sprintf(format, a)))
}

// Error prints its operands on the CLI's standard error, formatted as
// fmt.Println does.
func (t *Traces) Error(a ...any) { t.host.Print(streamStderr, sprintln(a)) }

// Errorf prints on the CLI's standard error, formatted as fmt.Printf does,
// adding a newline if missing.
func (t *Traces) Errorf(format string, a ...any) {
	t.host.Print(streamStderr, line(sprintf(format, a)))
}

// Dump prints its operands on the CLI's standard output, formatted as
// fmt.Println does, like Log, but with each line prefixed with
// "hostname/title/pid >> ", the process that printed it, so that output
// from many processes can be told apart. In Local the prefix names the CLI.
func (t *Traces) Dump(a ...any) { t.host.Print(streamDump, sprintln(a)) }

// Dir is Dump under the name jstrace gives it (traces.dir, after
// console.dir), for scripts ported from jstrace.
func (t *Traces) Dir(a ...any) { t.Dump(a...) }

// sprintln and sprintf format like fmt, but panic (in the script) on a
// value that contains itself, which fmt would recurse into until the stack
// overflows (that kills a process, panics do not), and on what would print
// more than printable.MaxBytes (sprintf: widths count for every value).
func sprintln(a []any) string {
	if err := printable.Check(a...); err != nil {
		panic("traces: " + err.Error())
	}
	return fmt.Sprintln(a...)
}

func sprintf(format string, a []any) string {
	if err := printable.CheckPrintf(format, a...); err != nil {
		panic("traces: " + err.Error())
	}
	return fmt.Sprintf(format, a...)
}

// Every calls fn every d (at least 10ms) until the session ends, and once
// more when it ends, before the cleanup functions (see OnCleanup), for the
// partial period since its last call — unless that is under a tenth of d:
// a report per second still reports the last half second, a session
// shorter than d reports once, and a 3s session reports three times, not
// four. In Remote, what that last call emits reaches Local.
func (t *Traces) Every(d time.Duration, fn func()) {
	if fn == nil {
		panic("traces.Every: nil function")
	}
	t.host.Every(max(d, 10*time.Millisecond), fn)
}

// OnCleanup registers fn to run when the session ends (Ctrl-C or
// --duration in the CLI). In Remote it runs in each traced process, and
// what it prints or emits still reaches the CLI; in Local it runs after
// every remote cleanup's output has arrived.
func (t *Traces) OnCleanup(fn func()) {
	if fn == nil {
		panic("traces.OnCleanup: nil function")
	}
	t.host.OnCleanup(fn)
}

func line(s string) string {
	if len(s) == 0 || s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}
