package jstracesql

import (
	"context"
	"database/sql/driver"
	"errors"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace"
)

// The channels every wrapped driver publishes on (see the package doc).
var (
	chQuery    = jstrace.NewChannel("db:query")
	chExec     = jstrace.NewChannel("db:exec")
	chPrepare  = jstrace.NewChannel("db:prepare")
	chBegin    = jstrace.NewChannel("db:begin")
	chCommit   = jstrace.NewChannel("db:commit")
	chRollback = jstrace.NewChannel("db:rollback")
)

// call is one traced operation: its lifecycle and the statement text its
// events carry. The zero call, which start returns while nobody listens,
// does nothing.
type call struct {
	op   jstrace.Op
	stmt any // the cut statement, boxed once for all its events; nil for none
}

// start begins an operation on ch for query (empty for begin, commit and
// rollback) with its arguments. It costs the channel's atomic loads while
// nobody listens; only then are the statement cut and the arguments
// copied.
func (c *config) start(ch *jstrace.Channel, ctx context.Context, query string, args []driver.NamedValue) call {
	if !ch.Enabled() {
		return call{}
	}
	var vals []any
	if c.args && len(args) > 0 {
		vals = make([]any, len(args))
		for i, a := range args {
			vals[i] = a.Value
		}
	}
	return c.begin(ch, ctx, query, vals)
}

// startValues is start for the driver methods without a context, whose
// arguments come as plain values.
func (c *config) startValues(ch *jstrace.Channel, query string, args []driver.Value) call {
	if !ch.Enabled() {
		return call{}
	}
	var vals []any
	if c.args && len(args) > 0 {
		vals = make([]any, len(args))
		for i, a := range args {
			vals[i] = a
		}
	}
	return c.begin(ch, context.Background(), query, vals)
}

func (c *config) begin(ch *jstrace.Channel, ctx context.Context, query string, vals []any) call {
	var k call
	if s := c.cut(query); s != "" {
		k.stmt = s
	}
	var kv [4]any
	n := 0
	if k.stmt != nil {
		kv[0], kv[1] = "statement", k.stmt
		n = 2
	}
	if vals != nil {
		kv[n], kv[n+1] = "args", vals
		n += 2
	}
	k.op = ch.Start(ctx, kv[:n]...)
	return k
}

// end finishes the operation with err as database/sql reads it:
// driver.ErrSkip is no failure (database/sql falls back to preparing the
// statement, whose own events follow), so the end says skipped=true;
// driver.ErrBadConn is an error database/sql handles (it retries on
// another connection) except on commit and rollback; any other error is
// unhandled. kv are further fields of the end event.
func (k call) end(err error, kv ...any) {
	if !k.op.Active() {
		return
	}
	var buf [4]any
	switch {
	case err == nil:
		k.op.End(k.fields(&buf, kv...)...)
	case err == driver.ErrSkip: // compared as database/sql does: wrapped, it is an error
		k.op.End(k.fields(&buf, "skipped", true)...)
	default:
		k.op.Error(err, k.handled(err), k.fields(&buf)...)
		k.op.End(k.fields(&buf)...)
	}
}

// handled reports whether database/sql recovers from err by itself.
func (k call) handled(err error) bool { return errors.Is(err, driver.ErrBadConn) }

// fields puts the statement in front of kv (at most two values), when the
// events carry one, in buf: the caller's stack.
func (k call) fields(buf *[4]any, kv ...any) []any {
	f := buf[:0]
	if k.stmt != nil {
		f = append(f, "statement", k.stmt)
	}
	return append(f, kv...)
}

// CutMarker ends a statement's text that was longer than
// [Options.MaxStatement] bytes.
const CutMarker = "…[cut]"

// cut returns s, or its first maxStatement bytes (ending on a character
// boundary) followed by CutMarker.
func (c *config) cut(s string) string {
	if c.maxStatement < 0 {
		return ""
	}
	if len(s) <= c.maxStatement {
		return s
	}
	n := c.maxStatement
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + CutMarker
}
