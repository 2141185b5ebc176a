package sandbox

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// lendingHost is a BoundedHost that does what the agent does with a
// handler that borrows its trace: it hands it the same Trace, refilled,
// event after event. Others get a trace of their own each time.
type lendingHost struct {
	recordingHost
	borrows []bool            // of the bounded handlers, which come first
	loans   []scripthost.Loan // theirs
	lent    script.Trace
}

func (h *lendingHost) OnBounded(p string, fn func(*script.Trace), loan scripthost.Loan) error {
	h.borrows = append(h.borrows, loan.Borrows)
	h.loans = append(h.loans, loan)
	return h.On(p, fn)
}

// fire hands handler i the event of rec as its host would: to a handler
// that names the fields it reads, a trace holding those alone.
func (h *lendingHost) fire(t *testing.T, i int, rec []byte) {
	t.Helper()
	tr := new(script.Trace)
	if h.borrows[i] {
		tr = &h.lent
	}
	if keys := h.loans[i].Keys; h.borrows[i] && keys != nil {
		r, err := protocol.ParseRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		scripthost.LoadFieldsTrace(tr, string(r.Name), time.Unix(0, r.Time), onlyFields(t, r.Fields, keys), scripthost.Origin{})
	} else if err := scripthost.LoadTrace(tr, rec, scripthost.Origin{}); err != nil {
		t.Fatal(err)
	}
	h.handlers[i](tr)
}

// A compiled handler that only reads its trace's fields and getters
// borrows it; one that stores it, passes it on or uses it any other way
// keeps it, and sees what it kept unchanged when the host lends the next
// trace to the others.
func TestCompiledHandlersBorrowOnlyWhatTheyRead(t *testing.T) {
	const src = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var n, bad, sum int
var last *script.Trace
var worst time.Duration

func id(t *script.Trace) int { return t.Int("i") }

func Remote(traces *script.Traces) {
	traces.On("x", func(t *script.Trace) {
		%s
	})
	traces.On("dump", func(t *script.Trace) {
		for i := 0; i < 1; i++ {
		}
		traces.Log(n, bad, sum)
	})
}
`
	for _, c := range []struct {
		body    string
		borrows bool
	}{
		{`n++; sum += t.Int("i"); if d := time.Since(t.Time); d > worst { worst = d }`, true},
		{`if t.Has("i") && t.Str("path") != "" { n++; sum += t.Int("i") }; traces.Log(t.Name)`, true},
		{`n++; sum += t.Int("i"); last = t`, false},
		{`if n > 0 && t.Int("i") != last.Int("i")+1 { bad++ }; n++; sum += t.Int("i"); last = t`, false},
		{`n++; sum += id(t)`, false},
		{`n++; sum += t.Int("i"); traces.Log(t)`, false},
	} {
		t.Run(c.body, func(t *testing.T) {
			h := &lendingHost{}
			x, err := New(Options{Stdout: &h.out})
			if err != nil {
				t.Fatal(err)
			}
			s, err := x.Load("b.go", []byte(fmt.Sprintf(src, c.body)))
			if err != nil {
				t.Fatal(err)
			}
			s.Remote(scripthost.NewTraces(h))
			if x.CompiledHandlers() != 1 || len(h.borrows) != 1 {
				t.Fatalf("%d handlers compiled, %d bounded; want the first of two, only", x.CompiledHandlers(), len(h.borrows))
			}
			if h.borrows[0] != c.borrows {
				t.Errorf("borrows %v, want %v", h.borrows[0], c.borrows)
			}
			for i := 1; i <= 20; i++ {
				h.fire(t, 0, recordWith(t, "i", i, "path", strings.Repeat("p", i)))
			}
			h.out.Reset()
			h.handlers[1](&script.Trace{})
			if got, want := h.out.String(), "[1] 20 0 210\n"; got != want {
				t.Errorf("dump %q, want %q", got, want)
			}
		})
	}
}

// onlyFields returns the last field of each of keys in fields.
func onlyFields(t *testing.T, fields []byte, keys []string) []byte {
	t.Helper()
	last := map[string][]byte{}
	for f := fields; len(f) > 0; {
		k, _, rest, err := protocol.NextField(f)
		if err != nil {
			t.Fatal(err)
		}
		last[string(k)] = f[:len(f)-len(rest)]
		f = rest
	}
	var out []byte
	for _, k := range keys {
		out = append(out, last[k]...)
	}
	return out
}

// recordWith returns the record of an event of probe x with fields kv.
func recordWith(t *testing.T, kv ...any) []byte {
	t.Helper()
	sub := jstrace.Subscribe(nil, 1<<16)
	defer sub.Close()
	sub.Emit("x", kv...)
	rec, _, err := protocol.NextRecord(sub.Read(nil))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// traceWith returns a trace of probe x with fields kv.
func traceWith(t *testing.T, kv ...any) *script.Trace {
	t.Helper()
	tr, err := scripthost.ParseTrace(recordWith(t, kv...), scripthost.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// The proof refuses a handler that writes its trace's fields or takes
// their address, whatever the compiler accepts; a read of a field or a
// getter's result stays a read.
func TestBorrowsRefusesWrites(t *testing.T) {
	const src = `package main

import "github.com/jstrace-go/jstrace/script"

var p *int

func Remote(traces *script.Traces) {
	traces.On("x", func(t *script.Trace) {
		%s
	})
}
`
	for _, c := range []struct {
		body    string
		borrows bool
	}{
		{`n := t.PID + t.Int("i"); _ = n`, true},
		{`tm := t.Time; _ = tm`, true},
		{`p = &t.PID`, false},
		{`t.PID++`, false},
		{`(t.PID)++`, false},
		{`t.Name = "y"`, false},
		{`t.Name, t.PID = "y", 1`, false},
	} {
		ck, err := check(token.NewFileSet(), "b.go", []byte(fmt.Sprintf(src, c.body)), policy{})
		if err != nil {
			t.Logf("%s: refused by the checker already: %v", c.body, err)
			continue
		}
		var lit *ast.FuncLit
		ast.Inspect(ck.file, func(n ast.Node) bool {
			if l, ok := n.(*ast.FuncLit); ok {
				lit = l
			}
			return lit == nil
		})
		if got := loanOf(ck.info, lit.Type.Params, lit.Body).Borrows; got != c.borrows {
			t.Errorf("%s: borrows %v, want %v", c.body, got, c.borrows)
		}
	}
}

// A handler that borrows its trace reads the fields its getters name in
// one pass, each key once; one that keeps its trace calls the getters.
func TestCompiledGettersReadInOnePass(t *testing.T) {
	const src = `package main

import "github.com/jstrace-go/jstrace/script"

var n int
var s string
var last *script.Trace

func Remote(traces *script.Traces) {
	traces.On("read", func(t *script.Trace) { n += t.Int("a") + t.Int("b") + t.Int("a"); s += t.Str("c") })
	traces.On("keep", func(t *script.Trace) { n += t.Int("a"); last = t })
}
`
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Compile("f.go", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if len(x.specs) != 2 {
		t.Fatalf("%d handlers compiled, want 2", len(x.specs))
	}
	for i, want := range [][]string{{"a", "b", "c"}, nil} {
		c := x.specs[i].compiler(nil)
		if _, err := c.handler(); err != nil {
			t.Fatal(err)
		}
		var got []string
		if f := c.fields.ready(); f != nil {
			got = f.keys
		}
		if !slices.Equal(got, want) {
			t.Errorf("handler %d reads %q in one pass, want %q", i, got, want)
		}
	}
}
