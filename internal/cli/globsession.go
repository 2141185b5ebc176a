package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// globSession is a session of a built-in script that subscribes to probe
// globs and hands each matching record to native code instead of Local:
// jstrace watch and jstrace record.
type globSession struct {
	// opts are the session's options: IO, ConnectOptions, Script (the
	// built-in script's name in the agents' messages), Duration, Verbose
	// and Wait.
	opts *TraceOptions
	// globs are the arguments: comma lists of globs, -glob leaving out.
	globs []string
	// ready, if set, is called once the arguments are checked and the
	// session prepared, before any agent is attached; an error ends the
	// session before it starts.
	ready func(t *tracer) error
	// record receives each matching event record (protocol.ParseRecord's
	// input; it aliases a batch that is reused once record returns) with
	// its agent's connection. Connections call it concurrently; it may
	// block, which holds the agent back.
	record func(t *tracer, c *client.Conn, rec []byte)
}

// runGlobSession runs s until a signal, --duration, or, for a selection
// that cannot grow (-p), the end of its agents.
func runGlobSession(ctx context.Context, s globSession) error {
	out := s.opts.IO
	out.raw = s.opts.Raw
	include, exclude, err := watchGlobs(s.globs)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	includeSet, err := compileGlobs(include)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	sel, err := s.opts.selector()
	if err != nil {
		return err
	}
	t, err := newTracer(s.opts, sel, s.opts.Script, watchScript(include))
	if err != nil {
		return err
	}
	t.sink = globSink(t, includeSet, exclude, s.record)
	abandon := func() {
		t.eng.Abandon()
		wait, cancel := context.WithTimeout(context.Background(), localTimeout)
		t.eng.Wait(wait)
		cancel()
	}
	if s.ready != nil {
		if err := s.ready(t); err != nil {
			abandon()
			return err
		}
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if n, err := t.scan(ctx); n == 0 {
		if permanent(err) || !sel.canGrow() {
			abandon()
			return err
		}
		out.errorf("%v: waiting for agents", err)
	}
	defer t.hardDeadline(s.opts.Duration)()
	reason := t.wait(ctx, sigs)
	return t.shutdown(sigs, reason)
}

// globSink returns the sink of a glob session: it hands record the
// records of a batch whose names include matches and exclude does not.
func globSink(t *tracer, include, exclude *match.Set, record func(*tracer, *client.Conn, []byte)) func(*client.Conn, []byte) {
	return func(conn *client.Conn, batch []byte) {
		for b := batch; len(b) > 0; {
			rec, rest, err := protocol.NextRecord(b)
			if err != nil {
				t.warnOnce("bad batch "+conn.Addr, "%s: malformed events: %v", t.who(conn), err)
				return
			}
			b = rest
			_, name, err := protocol.PeekRecord(rec)
			if err != nil {
				t.warnOnce("bad record "+conn.Addr, "%s: malformed event: %v", t.who(conn), err)
				continue
			}
			if matchName(include, name) && !matchName(exclude, name) {
				record(t, conn, rec)
			}
		}
	}
}

// matchName matches a probe's name, as bytes from a record, against set.
func matchName(set *match.Set, name []byte) bool { return set.Match(string(name)) }
