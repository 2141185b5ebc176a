package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

const header = "package main\n\nimport \"fmt\"\nimport \"github.com/jstrace-go/jstrace/script\"\n\n"

const footer = "\nvar _ = fmt.Sprint\n"

// fakeHost records what a script does through its Traces.
type fakeHost struct {
	patterns []string
	handlers []func(*script.Trace)
	emits    []string
	printed  bytes.Buffer
	cleanups []func()
}

func (h *fakeHost) On(p string, fn func(*script.Trace)) error {
	h.patterns = append(h.patterns, p)
	h.handlers = append(h.handlers, fn)
	return nil
}
func (h *fakeHost) Aggregate(p string, f scripthost.Feed) error { return h.On(p, f.Trace) }
func (h *fakeHost) Emit(name string, kv []any)                  { h.emits = append(h.emits, name) }
func (h *fakeHost) Print(stream byte, text string)              { h.printed.WriteString(text) }
func (h *fakeHost) Every(d time.Duration, fn func())            {}
func (h *fakeHost) OnCleanup(fn func())                         { h.cleanups = append(h.cleanups, fn) }

func TestLoadRunsRemoteAndLocal(t *testing.T) {
	src := header + `
func main() { panic("main must not run") }

func Remote(traces *script.Traces) {
	traces.On("request:*", func(t *script.Trace) { traces.Emit("seen", "name", t.Name) })
	fmt.Println("remote ready")
}

func Local(traces *script.Traces) {
	traces.On("seen", func(t *script.Trace) {})
	traces.Log("local ready")
}
` + footer
	var out bytes.Buffer
	s, err := Load("ok.go", []byte(src), Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote == nil || s.Local == nil {
		t.Fatalf("entry points: remote %v local %v", s.Remote != nil, s.Local != nil)
	}
	h := &fakeHost{}
	s.Remote(scripthost.NewTraces(h))
	if got := out.String(); got != "remote ready\n" {
		t.Errorf("fmt.Println went to %q", got)
	}
	if len(h.handlers) != 1 || h.patterns[0] != "request:*" {
		t.Fatalf("handlers %v", h.patterns)
	}
	h.handlers[0](&script.Trace{Name: "request:end"})
	if len(h.emits) != 1 || h.emits[0] != "seen" {
		t.Errorf("emits %v", h.emits)
	}
	lh := &fakeHost{}
	s.Local(scripthost.NewTraces(lh))
	if lh.printed.String() != "local ready\n" || lh.patterns[0] != "seen" {
		t.Errorf("local: printed %q patterns %v", lh.printed.String(), lh.patterns)
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"forbidden import", "import _ \"os\"\n", `ok.go:6:10: import "os" is not allowed in scripts`},
		{"go statement", "func Remote(traces *script.Traces) { go func() {}() }", "ok.go:6:38: go statements are not allowed"},
		{"channel type", "func Remote(traces *script.Traces) { var c chan int; _ = c }", "ok.go:6:44: channels are not allowed"},
		{"receive", "func Remote(traces *script.Traces) { var c []int; _ = <-c }", "channel operations are not allowed"},
		{"select", "func Remote(traces *script.Traces) { select {} }", "select is not allowed"},
		{"range over int", "func Remote(traces *script.Traces) { for i := range 10 { _ = i } }", "range over an integer is not supported"},
		{"range over len", "func Remote(traces *script.Traces) { s := []int{}; for i := range len(s) { _ = i } }", "range over an integer is not supported"},
		{"range over an int variable", "func Remote(traces *script.Traces) { n := 3; for i := range n { _ = i } }", "range over an integer is not supported"},
		{"range over a type parameter", "type I interface{ int }\nfunc count[T I](n T) int { c := 0; for range n { c++ }; return c }\nfunc Remote(traces *script.Traces) { _ = count(3) }", "range over an integer is not supported"},
		{"range over a union type parameter", "func count[T ~string | ~int8](n T) int { c := 0; for range n { c++ }; return c }\nfunc Remote(traces *script.Traces) { _ = count(\"ab\") }", "range over an integer is not supported"},
		{"min builtin", "func Remote(traces *script.Traces) { _ = min(1, 2) }", "ok.go:6:42: the min builtin is not supported"},
		{"max builtin in parentheses", "func Remote(traces *script.Traces) { _ = (max)(1, 2) }", "ok.go:6:43: the max builtin is not supported"},
		{"no entry point", "func Helper() {}", "a script must define func Remote"},
		{"bad signature", "func Remote(n int) {}", "Remote must be declared as func Remote(traces *script.Traces)"},
		{"syntax", "func Remote(traces *script.Traces) { x := }", "ok.go:6:43: expected operand"},
		{"not main", "", "a script must be package main"},
		{"dot import", "import . \"strings\"\nfunc Remote(traces *script.Traces) {}", "dot imports are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := header + tt.body + footer
			if tt.name == "not main" {
				src = strings.Replace(header, "package main", "package foo", 1) + "func Remote(traces *script.Traces) {}"
			}
			err := Check("ok.go", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
			if _, err := Load("ok.go", []byte(src), Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheckAllowsShadowedBuiltins(t *testing.T) {
	src := header + `
func min(a, b int) int { if a < b { return a }; return b }
func make(a, b int) int { return a * b }
func Remote(traces *script.Traces) { fmt.Println(min(1, 2), make(3, 4)) }` + footer
	if out := remoteOutput(t, "ok.go", src); out != "1 12\n" {
		t.Fatalf("printed %q: a script's own make was taken for the builtin", out)
	}
}

// remoteOutput loads src and returns what its Remote printed.
func remoteOutput(t *testing.T, name, src string) string {
	t.Helper()
	var out bytes.Buffer
	s, err := Load(name, []byte(src), Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	s.Remote(nil)
	return out.String()
}

func TestLoadReportsCompileErrorsWithPosition(t *testing.T) {
	src := header + "func Remote(traces *script.Traces) {\n\tx := undefinedThing + 1\n}\n" + footer
	_, err := Load("bad.go", []byte(src), Options{})
	if err == nil || !strings.Contains(err.Error(), "bad.go:7:7: undefined: undefinedThing") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadRecoversInitPanic(t *testing.T) {
	src := header + "func init() { panic(\"boom\") }\nfunc Remote(traces *script.Traces) {}\n" + footer
	_, err := Load("p.go", []byte(src), Options{})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
}

func TestSandboxedPackages(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    string
	}{
		{"slices", `import ("slices"; "sort")
func Remote(traces *script.Traces) { s := []int{3, 1}; _ = slices.Contains(s, 1); sort.Ints(s) }`, ""},
		{"time.Sleep is left out", `import "time"
func Remote(traces *script.Traces) { time.Sleep(time.Hour) }`, "undefined: time.Sleep"},
		{"fmt.Scan is left out", `func Remote(traces *script.Traces) { var s string; fmt.Scan(&s) }`, "undefined: fmt.Scan"},
		{"cmp alone", `import "cmp"
func Remote(traces *script.Traces) { _ = cmp.Compare(1, 2) }`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load("s.go", []byte(header+tt.body+footer), Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Remote(scripthost.NewTraces(&fakeHost{}))
		})
	}
}

func TestScriptCannotReassignHostVariables(t *testing.T) {
	before := time.Local
	src := header + `import "time"
func Remote(traces *script.Traces) { time.Local = time.UTC }` + footer
	s, err := Load("v.go", []byte(src), Options{})
	if err == nil {
		func() {
			defer func() { _ = recover() }()
			s.Remote(scripthost.NewTraces(&fakeHost{}))
		}()
	}
	if time.Local != before {
		t.Fatal("a script reassigned time.Local in the host process")
	}
}

func TestScriptCannotWriteThroughHostPointers(t *testing.T) {
	src := header + `import (
	"encoding/base64"
	"time"
)

func Remote(traces *script.Traces) {
	*time.Local = *time.FixedZone("HACK", 3600)
	*time.UTC = *time.FixedZone("HACK", 3600)
	*base64.StdEncoding = *base64.URLEncoding
}` + footer
	if _, err := Load("v.go", []byte(src), Options{}); err == nil || !strings.Contains(err.Error(), "v.go:12:2: writing through a pointer") {
		t.Fatalf("err = %v", err)
	}
	// Even if such a write got through, the script's time.Local and
	// base64.StdEncoding are its own copies.
	localName := time.Local.String()
	tab := symbols.Tables()
	if tab["time/time"]["Local"].Pointer() == reflect.ValueOf(time.Local).Pointer() {
		t.Fatal("scripts get the process's own time.Local")
	}
	if tab["encoding/base64/base64"]["StdEncoding"].Pointer() == reflect.ValueOf(base64.StdEncoding).Pointer() {
		t.Fatal("scripts get the process's own base64.StdEncoding")
	}
	if time.Local.String() != localName {
		t.Fatal("time.Local changed")
	}
}

func TestScriptLocalZoneIsUsable(t *testing.T) {
	src := header + `import "time"

func Remote(traces *script.Traces) { traces.Log(time.Local.String()) }` + footer
	s, err := Load("v.go", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{}
	s.Remote(scripthost.NewTraces(h))
	if got := strings.TrimSpace(h.printed.String()); got != time.Local.String() {
		t.Fatalf("time.Local in scripts is %q, want %q", got, time.Local.String())
	}
}

func TestHugeAllocationsPanicInTheScript(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"make slice", "n := 1 << 40\n_ = make([]byte, n)", "exceeds the scripts' limit of 256 MiB"},
		{"make slice cap", "_ = make([]int64, 0, 1<<30)", "make of 1073741824 elements of 8 bytes"},
		{"make map", "_ = make(map[string][64]byte, 1<<30)", "exceeds the scripts' limit"},
		{"negative", "n := -1\n_ = make([]int, n)", "out of range"},
		{"strings.Repeat", "_ = strings.Repeat(\"x\", 1<<40)", "Repeat of 1 bytes"},
		{"bytes.Repeat", "_ = bytes.Repeat([]byte(\"ab\"), 1<<40)", "Repeat of 2 bytes"},
		{"named type", "type buf []uint64\n_ = make(buf, 1<<35)", "exceeds the scripts' limit"},
		{"fine", "s := make([]int, 10, 20)\nm := make(map[string]int)\nb := strings.Repeat(\"ab\", 3)\ntraces.Log(len(s), cap(s), len(m), b)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := header + "import (\n\t\"bytes\"\n\t\"strings\"\n)\n\nvar _ = bytes.MinRead\nvar _ = strings.Repeat\n\nfunc Remote(traces *script.Traces) {\n" + tt.body + "\n}\n" + footer
			s, err := Load("m.go", []byte(src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := &fakeHost{}
			var got any
			func() {
				defer func() { got = recover() }()
				s.Remote(scripthost.NewTraces(h))
			}()
			if tt.want == "" {
				if got != nil || h.printed.String() != "10 20 0 ababab\n" {
					t.Fatalf("panic %v, printed %q", got, h.printed.String())
				}
				return
			}
			if got == nil || !strings.Contains(fmt.Sprint(got), tt.want) {
				t.Fatalf("recovered %v, want a panic with %q", got, tt.want)
			}
		})
	}
	if err := Check("m.go", []byte(header+"var jstrace_guard_ = 1\nfunc Remote(traces *script.Traces) {}"+footer)); err == nil {
		t.Fatal("the guard's name was accepted")
	}
}

type debugState struct{ Conns int }

func TestOptedInPackages(t *testing.T) {
	pkgs := map[string]map[string]reflect.Value{
		"example.com/svc/debugstate": {"Snapshot": reflect.ValueOf(func() debugState { return debugState{Conns: 7} })},
	}
	src := header + `import "example.com/svc/debugstate" //jstrace:remote

func Remote(traces *script.Traces) {
	traces.Log("conns", debugstate.Snapshot().Conns)
}

func Local(traces *script.Traces) {
	traces.Log("local runs")
}
` + footer
	// In the agent that opts the package in.
	x, err := New(Options{Packages: pkgs})
	if err != nil {
		t.Fatal(err)
	}
	s, err := x.Load("o.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{}
	s.Remote(scripthost.NewTraces(h))
	if h.printed.String() != "conns 7\n" {
		t.Fatalf("printed %q", h.printed.String())
	}
	// In an agent that does not.
	if _, err := Load("o.go", []byte(src), Options{}); err == nil || !strings.Contains(err.Error(), `o.go:6:8: import "example.com/svc/debugstate" is not opted in by this agent`) {
		t.Fatalf("err = %v", err)
	}
	// In the CLI: Local only.
	s, err = Load("o.go", []byte(src), Options{LocalOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote != nil || s.Local == nil {
		t.Fatal("the CLI's view kept Remote or lost Local")
	}
	if err := Check("o.go", []byte(src)); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// Local may not use it.
	bad := strings.Replace(src, `traces.Log("local runs")`, `traces.Log(debugstate.Snapshot())`, 1)
	if _, err := Load("o.go", []byte(bad), Options{LocalOnly: true}); err == nil || !strings.Contains(err.Error(), "debugstate is marked //jstrace:remote: use it in Remote only") {
		t.Fatalf("Local using a remote package: %v", err)
	}
	// Unmarked, it is refused with a hint.
	unmarked := strings.Replace(src, " //jstrace:remote", "", 1)
	if err := Check("o.go", []byte(unmarked)); err == nil || !strings.Contains(err.Error(), "must be marked //jstrace:remote") {
		t.Fatalf("unmarked: %v", err)
	}
}

// fmt must refuse a value that contains itself, whichever function prints
// it, rather than overflow the stack (fatal, not recoverable).
func TestFmtRefusesCycles(t *testing.T) {
	for _, call := range []string{"fmt.Println(m)", "fmt.Print(m)", "fmt.Printf(\"%v\", m)", "_ = fmt.Sprint(m)", "_ = fmt.Sprintf(\"%v\", m)", "_ = fmt.Errorf(\"%v\", m)", "traces.Log(m)", "traces.Dump(m)", "traces.Logf(\"%v\", m)"} {
		t.Run(call, func(t *testing.T) {
			src := header + "func Remote(traces *script.Traces) {\n\tm := map[string]any{}\n\tm[\"m\"] = m\n\t" + call + "\n}\n" + footer
			var out bytes.Buffer
			s, err := Load("c.go", []byte(src), Options{Stdout: &out})
			if err != nil {
				t.Fatal(err)
			}
			var got any
			func() {
				defer func() { got = recover() }()
				s.Remote(scripthost.NewTraces(&fakeHost{}))
			}()
			if got == nil || !strings.Contains(fmt.Sprint(got), "value contains itself") {
				t.Fatalf("recovered %v", got)
			}
		})
	}
	// And plain printing still works.
	var out bytes.Buffer
	s, err := Load("c.go", []byte(header+"func Remote(traces *script.Traces) { fmt.Println(\"ok\", 1) }\n"+footer), Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	s.Remote(scripthost.NewTraces(&fakeHost{}))
	if out.String() != "ok 1\n" {
		t.Fatalf("printed %q", out.String())
	}
}

func TestHostStateCannotBeWritten(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"through Location", "loc := time.Now().Location()\n*loc = *time.FixedZone(\"PWNED\", 3600)", "writing through a pointer"},
		{"deref increment", "n := 1\np := &n\n*p++", "writing through a pointer"},
		{"parenthesised", "n := 1\np := &n\n(*p) = 2", "writing through a pointer"},
	}
	for _, tt := range tests {
		src := header + "import \"time\"\nvar _ = time.Now\nfunc Remote(traces *script.Traces) {\n" + tt.body + "\n}\n" + footer
		if err := Check("w.go", []byte(src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// crc32's shared tables are handed out as copies.
	makeTable := symbols.Tables()["hash/crc32/crc32"]["MakeTable"]
	got := makeTable.Call([]reflect.Value{reflect.ValueOf(uint32(crc32.IEEE))})[0]
	if got.Pointer() == reflect.ValueOf(crc32.IEEETable).Pointer() || *got.Interface().(*crc32.Table) != *crc32.IEEETable {
		t.Fatal("scripts get crc32's shared table, or a wrong one")
	}
}

func TestHugeTypesAreRefused(t *testing.T) {
	tests := []struct{ name, decl, want string }{
		{"array variable", "var a [1 << 40]byte", "an array type of 1099511627776 bytes"},
		{"new", "var p = new([1 << 30][16]byte)", "exceeds the scripts' limit"},
		{"keyed literal", "var s = []byte{1 << 40: 1}", "a literal with index"},
		{"through a constant", "const n = 1 << 20\ntype row [n]int64\nvar grid [n]row", "exceeds the scripts' limit"},
		{"struct", "type big struct{ a, b [200 << 20]byte }", "a struct type of"},
		{"foreign constant", "import \"math\"\nvar a [math.MaxInt32]byte", "an array type of 2147483647 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decl := tt.decl
			imp := ""
			if strings.HasPrefix(decl, "import") {
				imp, decl, _ = strings.Cut(decl, "\n")
				imp += "\n"
			}
			src := header + imp + decl + "\nfunc Remote(traces *script.Traces) {}\n" + footer
			if err := Check("h.go", []byte(src)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	ok := header + "const n = 1024\nvar buf [n]byte\nvar grid [16][16]int\nvar s = []int{9: 1}\nfunc Remote(traces *script.Traces) {}\n" + footer
	if _, err := Load("h.go", []byte(ok), Options{}); err != nil {
		t.Fatalf("small arrays refused: %v", err)
	}
}

// The generic packages are compiled into an interpreter only for a script
// that imports them: their syntax trees would be megabytes of pointers in
// the traced service's heap for every session.
func TestGenericSourcesOnDemand(t *testing.T) {
	for _, tt := range []struct {
		imports string
		want    []string
	}{
		{``, nil},
		{`import "slices"`, []string{"cmp", "slices"}},
	} {
		x, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Load("s.go", []byte(header+tt.imports+"\nfunc Remote(traces *script.Traces) {}"+footer)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for pkg := range x.generic {
			got = append(got, pkg)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: compiled %v, want %v", tt.imports, got, tt.want)
		}
	}
}

// An interpreter is handed the tables of the standard packages its script
// imports, as it imports them, and no others; each import of a package
// with variables (time) gets its own copies, as before.
func TestInterpreterHasOnlyImportedTables(t *testing.T) {
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := `package main

import (
	"slices"
	"sort"
	"strings"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	s := []int{2, 1}
	sort.Ints(s)
	_ = slices.Contains(s, 1)
	_ = strings.ToUpper("a")
}
`
	if _, err := x.Compile("s.go", []byte(src)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sort", "strings"} {
		if x.used[p] == nil {
			t.Errorf("%s not handed over", p)
		}
	}
	for _, p := range []string{"regexp", "time", "encoding/json", "fmt"} {
		if x.used[p] != nil {
			t.Errorf("%s handed over though not imported", p)
		}
	}
}

// BenchmarkLoad is an agent's set-up of a session's script: a new
// interpreter, the check, the compilation and the top level's run.
func BenchmarkLoad(b *testing.B) {
	src := []byte(header + `import "time"

func Remote(traces *script.Traces) {
	start := time.Now()
	traces.On("request:end", func(t *script.Trace) {
		fmt.Println(t.Str("route"), time.Since(start))
	})
}
` + footer)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("s.go", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// A generic function constrained by a union of terms loads and runs: the
// size check once took the union for a value's type and panicked.
func TestUnionConstraint(t *testing.T) {
	src := header + "func sum[T ~int | ~float64](xs []T) T { var s T; for _, x := range xs { s += x }; return s }\n" +
		"func Remote(traces *script.Traces) { fmt.Println(sum([]int{1, 2, 3}), sum([]float64{0.5, 1})) }" + footer
	if err := Check("u.go", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if out := remoteOutput(t, "u.go", src); out != "6 1.5\n" {
		t.Fatalf("printed %q", out)
	}
}
