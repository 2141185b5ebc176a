package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Scripts that slip a huge value or an unbounded compile-time computation
// past a static check (issue 10, class 2): the CLI refuses each quickly,
// with the position, and nothing reaches the agent; the service goes on.
// (An agent handed such a script directly by another client refuses it the
// same way: see internal/sandbox's TestHostileScriptsAreRefused.)
func TestHostileChecker(t *testing.T) {
	t.Parallel()
	const head = "package main\n\nimport (\n\t\"hash/crc32\"\n\n\t\"github.com/jstrace-go/jstrace/script\"\n)\n\nvar _ = crc32.MakeTable\n\n"
	doubling := "const s0 = \"0123456789abcdef\"\n"
	for i := 1; i <= 36; i++ {
		doubling += fmt.Sprintf("const s%d = s%d + s%d\n", i, i-1, i-1)
	}
	thrice := "type T0 byte\n"
	for i := 1; i <= 60; i++ {
		thrice += fmt.Sprintf("type T%d struct{ a, b, c T%d }\n", i, i-1)
	}
	thrice = strings.Replace(thrice, "type T9 ", "type /*@*/T9 ", 1)
	tests := []struct {
		name, src, want string // the marker /*@*/ is where the error is
	}{
		{"a local constant shadows a global one",
			"func Remote(traces *script.Traces) {\n\tconst N = 1 << 40\n\tvar a /*@*/[N]byte\n\t_ = a\n}\n\nconst N = 1\n",
			"an array type of 1099511627776 bytes exceeds the scripts' limit of 256 MiB"},
		{"a local type shadows a global one",
			"func Remote(traces *script.Traces) {\n\ttype T [1 << 20]byte\n\tvar a /*@*/[1 << 12]T\n\t_ = a\n}\n\ntype T byte\n",
			"an array type of 4294967296 bytes"},
		{"an array of another package's type",
			"func Remote(traces *script.Traces) {\n\tvar t /*@*/[1 << 22]crc32.Table\n\t_ = t\n}\n",
			"an array type of 4294967296 bytes"},
		{"a generic type instantiated big",
			"type Box[P any] /*@*/struct{ v [1 << 12]P }\n\nfunc Remote(traces *script.Traces) {\n\tvar b Box[[1 << 10]crc32.Table]\n\t_ = b\n}\n",
			"a struct type of"},
		{"a constant shifted 8e9 bits",
			"const A = 1 << /*@*/8000000000\n\nfunc Remote(traces *script.Traces) {}\n",
			"invalid shift count"},
		{"compile-time squaring",
			"const a = 1 << 300\nconst b = a /*@*/* a\nconst c = b * b\n\nfunc Remote(traces *script.Traces) {}\n",
			"constant multiplication overflow"},
		{"a constant string doubled 36 times",
			doubling + "\nfunc Remote(traces *script.Traces) { traces.Log(len(s36)) }\n",
			"constant string could be longer than the scripts' limit of 1048576 bytes"},
		{"types each thrice the last, 60 times (go/types walks 3^60 paths)",
			thrice + "\nfunc Remote(traces *script.Traces) {}\n",
			"the script's types nest into more than 65536 fields"},
		{"a type nested 20000 deep",
			"var x " + strings.Repeat("[1]", 20000) + "int\n\nfunc Remote(traces *script.Traces) {}\n",
			"the script nests more than 256 levels deep"},
	}
	e := newEnv(t)
	svc := e.start("api", "web-1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.src
			pos := "hostile.go:"
			if i := strings.Index(src, "/*@*/"); i >= 0 {
				line := 1 + strings.Count(src[:i], "\n")
				col := i + len("/*@*/") - strings.LastIndexByte(src[:i], '\n')
				pos = fmt.Sprintf("hostile.go:%d:%d: ", line, col)
			}
			path := e.script("hostile.go", src)
			start := time.Now()
			r := e.jstrace("-p", strconv.Itoa(svc.pid), "--duration", "3s", path)
			el := time.Since(start)
			t.Logf("refused in %v", el)
			if r.code != 4 || !strings.Contains(r.stderr, pos) || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, ">>") {
				t.Fatalf("exit %d, want 4 and %q at %s\nstderr:\n%.2000s", r.code, tt.want, pos, r.stderr)
			}
			if el > 10*time.Second {
				t.Errorf("the CLI took %v to refuse the script", el)
			}
			svc.alive(t)
		})
	}
	if e.sessions(svc.pid) != 0 {
		t.Error("a session was left")
	}
	if log := svc.log.String(); strings.Contains(log, "session attached") || strings.Contains(log, "script refused") || strings.Contains(log, "panic:") || svc.cmd.ProcessState != nil {
		t.Fatalf("a script reached the agent, or the service suffered:\n%s", log)
	}
	// The control: a script that passes does reach the agent, which says so.
	ok := e.script("ok.go", head+"func Remote(traces *script.Traces) { var t [16]crc32.Table; traces.Log(len(t)) }\n")
	if r := e.jstrace("-p", strconv.Itoa(svc.pid), "--duration", "1s", ok); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "16") {
		t.Fatalf("control: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(svc.log.String(), "session attached") {
		t.Fatalf("the agent does not log sessions: the test above proves nothing\n%s", svc.log.String())
	}
}
