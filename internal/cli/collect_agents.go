package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/collector"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/script"
)

// collectScript is the session jstrace collect runs in the agents: Local
// subscribes to span:end, so that every agent forwards those probes as
// they fire; the records go to the store (tracer.sink), not to Local.
const collectScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Local(traces *script.Traces) {
	traces.On("span:end", func(*script.Trace) {})
}
`

// collectScriptName names the session in the agents' messages.
const collectScriptName = "jstrace-collect.go"

// collectAgents runs the session with the selected agents until a signal,
// --duration, or, for a selection that cannot grow (-p) and no --listen,
// the end of its agents.
func (c *collection) collectAgents(ctx context.Context, sigs <-chan os.Signal) error {
	sel, err := c.opts.selector()
	if err != nil {
		return err
	}
	topts := &TraceOptions{
		IO: c.out, ConnectOptions: c.opts.ConnectOptions, Script: collectScriptName,
		Duration: c.opts.Duration, Verbose: c.opts.Verbose, Wait: true,
	}
	t, err := newTracer(topts, sel, collectScriptName, []byte(collectScript))
	if err != nil {
		return err
	}
	c.tracer = t
	t.sink = c.agentEvents
	c.startReport()
	started := time.Now()
	if n, err := t.scan(ctx); n == 0 {
		if permanent(err) || (!sel.canGrow() && c.opts.Listen == "") {
			t.eng.Abandon()
			wait, cancel := context.WithTimeout(context.Background(), localTimeout)
			t.eng.Wait(wait)
			cancel()
			return err
		}
		c.out.errorf("%v: waiting for agents", err)
	}
	defer t.hardDeadline(c.opts.Duration)()
	reason := t.wait(ctx, sigs)
	if reason != nil && exitCode(reason) == ExitLost && c.opts.Listen != "" {
		c.out.errorf("%v: still receiving at --listen", reason)
		left := time.Duration(0)
		if c.opts.Duration > 0 {
			left = max(c.opts.Duration-time.Since(started), time.Nanosecond)
		}
		reason = c.waitEnd(ctx, sigs, left)
	}
	return t.shutdown(sigs, reason)
}

// agentEvents stores the span:end records of a batch from an agent.
// It never blocks on the store: the Writer drops (and counts) when full.
func (c *collection) agentEvents(conn *client.Conn, batch []byte) {
	spans := make([]tracestore.Span, 0, 64)
	for b := batch; len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			c.tracer.warnOnce("bad batch "+conn.Addr, "%s: malformed events: %v", c.tracer.who(conn), err)
			c.writer.Reject(collector.ReasonJSON, 1)
			break
		}
		b = rest
		tr, err := scripthost.ParseTrace(rec, conn.Origin)
		if err != nil {
			c.writer.Reject(collector.ReasonJSON, 1)
			continue
		}
		if tr.Name != "span:end" {
			continue
		}
		s := spanOfTrace(tr)
		if reason := collector.Check(&s, collector.Limits{}); reason != "" {
			c.writer.Reject(reason, 1)
			continue
		}
		collector.Normalize(&s)
		spans = append(spans, s)
	}
	c.writer.Add(spans)
}

// spanOfTrace makes a span of a span:end event, which fires when the span
// ends: its start is the event's time less the duration. The process's
// title and pid, and the request's id, become tags.
func spanOfTrace(tr *script.Trace) tracestore.Span {
	d := tr.Dur("duration")
	s := tracestore.Span{
		TraceID: tr.Str("trace_id"), SpanID: tr.Str("span_id"), ParentID: tr.Str("parent_id"),
		Service: tr.Str("service"), Operation: tr.Str("operation"),
		Start: tr.Time.Add(-d).UTC(), Duration: d,
		Error: tr.Str("error"), Host: tr.Hostname,
	}
	if tr.Has("request_id") {
		s.Tags = append(s.Tags, tracestore.Tag{Key: "request_id", Value: fmt.Sprint(tr.Get("request_id"))})
	}
	s.Tags = append(s.Tags,
		tracestore.Tag{Key: "process.title", Value: tr.Title},
		tracestore.Tag{Key: "process.pid", Value: fmt.Sprint(tr.PID)})
	return s
}
