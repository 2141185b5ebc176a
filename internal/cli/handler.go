package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// The client.Handler methods: traffic from the agents.

var _ client.Handler = (*tracer)(nil)

// Events decodes a batch of records into traces for Local. It blocks while
// Local is busy, which holds the agent back.
func (t *tracer) Events(c *client.Conn, batch []byte) {
	if t.sink != nil {
		t.sink(c, batch)
		return
	}
	traces := make([]*script.Trace, 0, 64)
	for b := batch; len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			t.warnOnce("bad batch "+c.Addr, "%s: malformed events: %v", t.who(c), err)
			break
		}
		b = rest
		kind, _, _ := protocol.PeekRecord(rec)
		tr, err := scripthost.ParseTrace(rec, c.Origin)
		if err != nil {
			t.warnOnce("bad record "+c.Addr, "%s: malformed event: %v", t.who(c), err)
			continue
		}
		t.checkTrace(kind, tr)
		traces = append(traces, tr)
	}
	t.eng.Dispatch(engine.Batch{Traces: traces, Bytes: len(batch)})
}

// checkTrace warns, once per name, about traces Local cannot see as
// expected: emitted names without a handler, and fields renamed because
// their keys are reserved.
func (t *tracer) checkTrace(kind protocol.RecordKind, tr *script.Trace) {
	if kind == protocol.RecordEmit && !t.eng.Wants(tr.Name) {
		t.warnOnce("emit "+tr.Name, "warning: Remote emitted %q but Local has no handler for it", tr.Name)
	}
	if !t.firstTime("keys " + tr.Name) {
		return
	}
	if kind == protocol.RecordEmit {
		t.noteEmitted(tr.Name)
	}
	for _, k := range tr.Keys() {
		if k != "" && k[0] == '_' && scripthost.IsReserved(k[1:]) {
			t.out.errorf("warning: %q has a field %q, a reserved name: scripts read it as %q", tr.Name, k[1:], k)
		}
	}
}

// who names an agent in the CLI's output: host/title/pid, made safe.
func (t *tracer) who(c *client.Conn) string { return t.out.field(c.Origin.Prefix()) }

// Console prints remote console output, within the agent's budget of
// output (consoleRate): what exceeds it is dropped and counted.
func (t *tracer) Console(c *client.Conn, m protocol.Console) {
	w, text, ok := t.out.console(t.who(c), m, func(n int) bool {
		ok, first := t.console.allow(c, n)
		if !ok && first {
			t.out.errorf("%s: console output beyond %d bytes a second is dropped", t.who(c), consoleRate)
		}
		return ok
	})
	if ok {
		t.out.writeSafe(w, []byte(text))
	}
}

// console formats a Remote's console output from the process who: the
// writer and the text to write, made safe (unless raw) and prefixed, or an
// output event line with --json. ok is false for an unknown stream, or if
// allow (nil: no budget) refuses the size the text will have: it is asked
// before the text is prefixed, which may multiply its size (a megabyte
// of empty lines, each given a long prefix), and the escapes count.
func (o *output) console(who string, m protocol.Console, allow func(n int) bool) (w io.Writer, text string, ok bool) {
	w, prefix := o.stdout, ""
	switch m.Stream {
	case protocol.ConsoleStdout:
	case protocol.ConsoleStderr:
		w = o.stderr
	case protocol.ConsoleDir:
		prefix = who + " >> "
	case protocol.ConsoleFault:
		w, prefix = o.stderr, who+" >> "
	default:
		return nil, "", false
	}
	if o.json {
		if allow != nil && !allow(len(m.Text)+len(who)+eventOverhead) {
			return nil, "", false
		}
		return o.stdout, o.eventLine(who, m.Stream, m.Text), true
	}
	text = m.Text
	if !o.raw {
		text = printable.Text(text)
	}
	n := len(text)
	if prefix != "" {
		n = prefixedSize(prefix, text)
	}
	if allow != nil && !allow(n) {
		return nil, "", false
	}
	if prefix != "" {
		text = prefixLines(prefix, text)
	}
	return w, text, true
}

// eventOverhead is about what an output event line adds to its text: the
// JSON keys, time and stream.
const eventOverhead = 80

// Stats keeps an agent's counters and, with --verbose, reports new losses.
func (t *tracer) Stats(c *client.Conn, s protocol.Stats) {
	t.mu.Lock()
	a := t.agents[c.Addr]
	var prev protocol.Stats
	if a != nil {
		prev, a.stats = a.stats, s
	}
	t.mu.Unlock()
	if t.opts.Verbose && lossSummary(s) != lossSummary(prev) {
		t.out.errorf("%s: %d events sent, %s", t.who(c), s.Events, lossSummary(s))
	}
}

func (t *tracer) warnOnce(key, format string, args ...any) {
	if t.firstTime(key) {
		t.out.errorf(format, args...)
	}
}

// firstTime reports whether key is new, remembering it. Keys come from
// agents (names they emit): at most maxWarned are remembered, later new
// ones are counted (report says how many) and reported as not new.
func (t *tracer) firstTime(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.warned[key] {
		return false
	}
	if len(t.warned) >= maxWarned {
		t.unwarned++
		return false
	}
	t.warned[key] = true
	return true
}

// localOutput is the engine.Output of Local.
type localOutput tracer

var _ engine.Output = (*localOutput)(nil)

func (o *localOutput) Emit(name string, kv []any) {
	(*tracer)(o).warnOnce("local emit", "warning: traces.Emit in Local is ignored: it sends events from Remote to Local")
}

func (o *localOutput) Print(stream byte, text string) {
	if o.out.json {
		o.out.writeEvent(o.out.eventLine(localSource, protocol.ConsoleStream(stream), text))
		return
	}
	switch protocol.ConsoleStream(stream) {
	case protocol.ConsoleStderr:
		o.out.write(o.out.stderr, text)
	case protocol.ConsoleDir:
		host, _ := os.Hostname()
		o.out.prefixed(o.out.stdout, fmt.Sprintf("%s/jstrace/%d >> ", host, os.Getpid()), text)
	default:
		o.out.write(o.out.stdout, text)
	}
}

func (o *localOutput) Fault(msg string) {
	if o.out.json {
		o.out.writeEvent(o.out.eventLine(localSource, protocol.ConsoleFault, msg))
		return
	}
	o.out.errorf("Local: %s", msg)
}

// Detach is not expected: Local runs without limits.
func (o *localOutput) Detach(reason string) { o.out.errorf("Local stopped: %s", reason) }

func (o *localOutput) Subscribed(set *match.Set) {
	if o.started.Load() {
		(*tracer)(o).warnOnce("late on", "warning: traces.On called after Local returned sees emitted events only, not raw probes")
	}
}
