package sandbox

import (
	"fmt"
	"go/constant"
	"go/token"
	"go/types"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// hostile is a script the checker must refuse, quickly, at the position of
// the marker /*@*/ (the error's column is the character after it).
type hostile struct {
	name, src, want string
}

// scriptOf makes a script of top-level declarations and a Remote body.
func scriptOf(imports, decls, remote string) string {
	return "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n" + imports + "\n" + decls +
		"\nfunc Remote(traces *script.Traces) {\n" + remote + "\n}\n"
}

const crc = `import "hash/crc32"`

func doublings(n int) string {
	var b strings.Builder
	b.WriteString("const s0 = \"0123456789abcdef\"\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "const s%d = s%d + s%d\n", i, i-1, i-1)
	}
	return b.String()
}

var hostileScripts = []hostile{
	// (a) names resolve in their scopes.
	{"shadowed const", scriptOf("", "", "const N = 1 << 40\nvar a /*@*/[N]byte\n_ = a") + "const N = 1\n", "an array type of 1099511627776 bytes"},
	{"shadowed type", scriptOf("", "", "type T [1 << 20]byte\nvar a /*@*/[1024]T\n_ = a") + "type T byte\n", "an array type of 1073741824 bytes"},
	{"shadowed const in a block", scriptOf("", "const N = 1", "{\nconst N = 1 << 30\n{\nvar a /*@*/[N]int64\n_ = a\n}\n}"), "exceeds the scripts' limit"},
	{"shadowed const in a method", scriptOf("", "type R struct{ x int }\nconst N = 1\nfunc (r R) M() {\nconst N = 1 << 30\nvar a /*@*/[N]R\n_ = a\n}", ""), "exceeds the scripts' limit"},
	{"shadowed type in a func literal", scriptOf("", "type T byte", "f := func() {\ntype T [1 << 16]int64\nvar a /*@*/[1 << 10]T\n_ = a\n}\n_ = f"), "exceeds the scripts' limit"},
	// (b) other packages' types have their real sizes.
	{"crc32.Table", scriptOf(crc, "var t /*@*/[1 << 22]crc32.Table", ""), "an array type of 4294967296 bytes"},
	{"foreign struct field", scriptOf(crc, "type S /*@*/struct{ t [1 << 19]crc32.Table }", ""), "exceeds the scripts' limit"},
	{"foreign composite literal", scriptOf(crc, "", "x := /*@*/[1 << 19]crc32.Table{}\n_ = x"), "exceeds the scripts' limit"},
	{"foreign new", scriptOf(crc, "", "p := new(/*@*/[1 << 19]crc32.Table)\n_ = p"), "exceeds the scripts' limit"},
	{"regexp.Regexp", scriptOf(`import "regexp"`, "var r /*@*/[1 << 26]regexp.Regexp", ""), "exceeds the scripts' limit"},
	{"time.Time", scriptOf(`import "time"`, "", "var t /*@*/[1 << 24]time.Time\n_ = t"), "exceeds the scripts' limit"},
	{"bytes.Buffer", scriptOf(`import "bytes"`, "type B /*@*/[1 << 23]bytes.Buffer", ""), "exceeds the scripts' limit"},
	{"script.Group", scriptOf("", "var g /*@*/[1 << 24]script.Group", ""), "exceeds the scripts' limit"},
	{"foreign slice literal", scriptOf(crc, "var s = []crc32.Table{/*@*/1 << 19: {}}", ""), "a literal with index"},
	{"sized by its literal", scriptOf("", "var a = /*@*/[...]byte{1 << 29: 0}", ""), "exceeds the scripts' limit"},
	{"local var", scriptOf("", "", "var a /*@*/[1 << 29]int64\n_ = a"), "exceeds the scripts' limit"},
	{"method receiver", scriptOf("", "type R struct{ x, y int }\nfunc (r R) M() { var a /*@*/[1 << 30]R; _ = a }", ""), "exceeds the scripts' limit"},
	{"variables together", scriptOf("", "var a, b [100 << 20]byte\nvar /*@*/c [100 << 20]byte", ""), "the script's variables take more than"},
	{"locals and parameters together", scriptOf("", "type B [100 << 20]byte\nfunc f(a B) { var b B; var /*@*/c B; _, _, _ = a, b, c }", ""), "the script's variables take more than"},
	// Generic code: a type parameter counts as its largest argument.
	{"generic type", scriptOf(crc, "type Box[P any] /*@*/struct{ v [1 << 12]P }\nvar b Box[[1 << 10]crc32.Table]", ""), "exceeds the scripts' limit"},
	{"generic func", scriptOf(crc, "func zero[P any]() P { var a /*@*/[1 << 16]P; return a[0] }", "_ = zero[[64]crc32.Table]()"), "exceeds the scripts' limit"},
	{"inferred type argument", scriptOf(crc, "func fill[P any](p P) { var a /*@*/[1 << 16]P; _ = a }", "fill([64]crc32.Table{})"), "exceeds the scripts' limit"},
	{"generic method", scriptOf(crc, "type Box[P any] struct{ v P }\nfunc (b *Box[P]) grow() { var a /*@*/[1 << 20]P; _ = a }\nvar bb Box[crc32.Table]", ""), "exceeds the scripts' limit"},
	{"through two generic funcs", scriptOf(crc, "func outer[P any]() { inner[[1 << 10]P]() }\nfunc inner[Q any]() { var a /*@*/[1 << 10]Q; _ = a }", "outer[crc32.Table]()"), "exceeds the scripts' limit"},
	{"generic slices", scriptOf(crc+"\nimport \"slices\"", "", "s := []crc32.Table{}\n_ = slices.Index(s, /*@*/[1 << 19]crc32.Table{}[0])"), "exceeds the scripts' limit"},
	// (e) constants are bounded as the Go compiler bounds them.
	{"huge shift", scriptOf("", "const A = 1 << /*@*/8000000000", ""), "invalid shift count"},
	{"huge shift in a function", scriptOf("", "", "const A = 1 << /*@*/8000000000\n_ = A"), "invalid shift count"},
	{"squaring chain", scriptOf("", "const a = 1 << 400\nconst b = a /*@*/* a\nconst c = b * b", ""), "overflow"},
	{"typed overflow", scriptOf("", "const x int64 = 1 << 62\nconst y = /*@*/x * x", ""), "overflows"},
	{"huge float", scriptOf("", "const f = /*@*/1e1000000000\nconst g = f * f", ""), "malformed constant"},
	{"string doubling", scriptOf("", doublings(30)+"var n = len(s30)", ""), "constant string could be longer"},
	{"string concatenations", scriptOf("", doublings(15)+strings.Repeat("var _ = len(s15 + \"x\")\n", 40), ""), "constant strings could take more than"},
	// (f) nesting and size are capped before the type checker.
	{"20k nested arrays", scriptOf("", "var x "+strings.Repeat("[1]", 20000)+"int", ""), "nests more than 256 levels"},
	{"20k nested structs", scriptOf("", "var x "+strings.Repeat("struct{ a ", 20000)+"int"+strings.Repeat("}", 20000), ""), "nests more than 256 levels"},
	{"20k pointers", scriptOf("", "var x "+strings.Repeat("*", 20000)+"int", ""), "nests more than 256 levels"},
	{"20k funcs", scriptOf("", "var x "+strings.Repeat("func() ", 20000)+"int", ""), "nests more than 256 levels"},
	{"20k maps", scriptOf("", "var x "+strings.Repeat("map[int]", 20000)+"int", ""), "nests more than 256 levels"},
	{"20k parentheses", scriptOf("", "var x = "+strings.Repeat("(", 20000)+"1"+strings.Repeat(")", 20000), ""), "nests more than 256 levels"},
	{"20k labels", scriptOf("", "", strings.Repeat("L: ", 1)+labels(20000)+";"), "nests more than 256 levels"},
	{"20k else ifs", scriptOf("", "var a = 1", "if a == 0 {\n"+strings.Repeat("a++\n} else if a == 1 {\n", 20000)+"a++\n}"), "nests more than 256 levels"},
	{"types thrice the last, 60 times", scriptOf("", thrice(60), ""), "the script's types nest into more than 65536 fields"},
	{"generic types thrice the last", scriptOf("", genericThrice(40), ""), "the script's types nest into more than 65536 fields"},
	{"300 terms", scriptOf("", "var a = 1\nvar x = "+strings.Repeat("a + ", 300)+"a", ""), "nests more than 256 levels"},
	{"too many nodes", scriptOf("", strings.Repeat("var _ = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}\n", 10000), ""), "more than 100000 syntax nodes"},
	{"too long", scriptOf("", "// "+strings.Repeat("x", MaxSourceSize), ""), "more than the 1048576 allowed"},
}

// thrice declares T0 … Tn, each a struct of three of the one before.
func thrice(n int) string {
	var b strings.Builder
	b.WriteString("type T0 byte\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "type T%d struct{ a, b, c T%d }\n", i, i-1)
	}
	return b.String()
}

// genericThrice declares G0 … Gn, each a generic struct of three of the
// one before, instantiated.
func genericThrice(n int) string {
	var b strings.Builder
	b.WriteString("type G0[P any] struct{ p P }\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "type G%d[P any] struct{ a, b, c G%d[P] }\n", i, i-1)
	}
	fmt.Fprintf(&b, "var g G%d[byte]\n", n)
	return b.String()
}

func labels(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("L" + strconv.Itoa(i) + ": ")
	}
	return b.String()
}

// TestHostileScriptsAreRefused runs each case through the three ways a
// script is loaded: Check (jstrace check), the CLI's Local-only load, and an
// agent's compile (the agent receives scripts directly, from any client).
func TestHostileScriptsAreRefused(t *testing.T) {
	for _, h := range hostileScripts {
		t.Run(h.name, func(t *testing.T) {
			src := []byte(h.src)
			pos := "h.go:"
			if i := strings.Index(h.src, "/*@*/"); i >= 0 {
				line := 1 + strings.Count(h.src[:i], "\n")
				col := i + len("/*@*/") - strings.LastIndexByte(h.src[:i], '\n')
				pos = fmt.Sprintf("h.go:%d:%d: ", line, col)
			}
			x, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, load := range []struct {
				how string
				fn  func() error
			}{
				{"Check", func() error { return Check("h.go", src) }},
				{"CLI", func() error { _, err := Load("h.go", src, Options{LocalOnly: true}); return err }},
				{"agent", func() error { _, err := x.Compile("h.go", src); return err }},
			} {
				start := time.Now()
				err := load.fn()
				if el := time.Since(start); el > 2*time.Second && !raceEnabled {
					t.Errorf("%s took %v", load.how, el)
				}
				if err == nil || !strings.Contains(err.Error(), pos) || !strings.Contains(err.Error(), h.want) {
					t.Fatalf("%s: err = %.300v, want %q at %s", load.how, err, h.want, pos)
				}
			}
		})
	}
}

// The same shapes within the limits load.
func TestCheckerAcceptsSmallShapes(t *testing.T) {
	for _, src := range []string{
		scriptOf("", "const N = 1 << 40", "const N = 4\nvar a [N]byte\n_ = a") + "type T byte\nvar _ [1 << 20]T",
		scriptOf(crc, "var t [1 << 10]crc32.Table\ntype Box[P any] struct{ v [16]P }\nvar b Box[crc32.Table]", "_ = t\n_ = b"),
		scriptOf(crc, "func fill[P any](p P) int { var a [4]P; a[0] = p; return len(a) }", "_ = fill(crc32.Table{})\n_ = fill(1)"),
		scriptOf("import \"slices\"", "var s = []int{3, 1, 2}", "_ = slices.Contains(s, 1)\n_ = slices.Index(s, 2)"),
		scriptOf("", "const a = 1 << 500\nconst b = a >> 490\nvar c [b]byte\nconst s = \"ab\" + \"cd\"\nvar n = len(s + s)", "_ = c"),
		scriptOf("", "var x = "+strings.Repeat("(", 200)+"1"+strings.Repeat(")", 200), ""),
		scriptOf("import \"time\"", "const d = 3 * time.Second\nvar e = time.Duration(d).String()", ""),
	} {
		if err := Check("ok.go", []byte(src)); err != nil {
			t.Errorf("%v\n%s", err, src)
		}
	}
}

// An agent's opted-in packages have their real types: the CLI cannot size
// them (the package is marked //jstrace:remote), the agent does.
func TestOptedInTypesAreSized(t *testing.T) {
	type state struct{ buf [4096]byte }
	pkgs := map[string]map[string]reflect.Value{
		"example.com/svc/debugstate": {
			"State": reflect.ValueOf((*state)(nil)), "Get": reflect.ValueOf(func() state { return state{} }),
			"Hook": reflect.ValueOf(hook(func() {})), "Limit": reflect.ValueOf(int64(5)),
		},
	}
	src := scriptOf(`import "example.com/svc/debugstate" //jstrace:remote`, "", "var a [1 << 17]debugstate.State\n_ = a\n_ = debugstate.Get()")
	x, err := New(Options{Packages: pkgs})
	if err != nil {
		t.Fatal(err)
	}
	uses := scriptOf(`import "example.com/svc/debugstate" //jstrace:remote`, "", "const l = debugstate.Limit\nvar a [l]debugstate.State\n_ = a\ndebugstate.Hook()")
	if _, err := x.Compile("o.go", []byte(uses)); err != nil {
		t.Fatalf("agent: %v", err)
	}
	x, _ = New(Options{Packages: pkgs})
	if _, err := x.Compile("o.go", []byte(src)); err == nil || !strings.Contains(err.Error(), "o.go:7:7: an array type of 536870912 bytes") {
		t.Fatalf("agent: %v", err)
	}
	if err := Check("o.go", []byte(src)); err != nil {
		t.Fatalf("CLI check: %v", err)
	}
	ok := strings.Replace(strings.Replace(src, "1 << 17", "16", 1), "Get()", "Get().buf", 1)
	if _, err := x.Compile("o.go", []byte(ok)); err == nil || !strings.Contains(err.Error(), "cannot refer to unexported field buf") {
		t.Fatalf("an unexported field was usable: %v", err)
	}
}

type hook func()

// allowlisted yields each allowlisted package, as the current host
// cache's universe declares it, and its symbol table.
func allowlisted() iter.Seq2[*types.Package, map[string]reflect.Value] {
	return func(yield func(*types.Package, map[string]reflect.Value) bool) {
		h := currentHostCache()
		for key := range symbols.Symbols {
			syms, _ := h.table(key)
			path := key[:strings.LastIndexByte(key, '/')]
			if !yield(h.types.importable(path, syms), syms) {
				return
			}
		}
	}
}

// Every untyped constant of the tables is a constant to the checker, the
// string ones too, which yaegi's tables hold as *constant.stringVal (they
// were variables of that type, and time.RFC3339 could not be used).
func TestHostConstantsAreConstants(t *testing.T) {
	n := 0
	for pkg, syms := range allowlisted() {
		path := pkg.Path()
		for name, v := range syms {
			if _, ok := v.Interface().(constant.Value); !ok {
				continue
			}
			if _, ok := pkg.Scope().Lookup(name).(*types.Const); !ok {
				t.Errorf("%s.%s: %v, want a constant", path, name, pkg.Scope().Lookup(name))
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d constants", n)
	}
	src := scriptOf("import (\n\t\"math\"\n\t\"time\"\n)", "",
		"const layout = time.RFC3339 + \" \" + time.Kitchen\n_ = time.Now().Format(layout)\nvar a [len(time.DateOnly)]byte\n_ = a\n_ = math.Pi * 2")
	if err := Check("o.go", []byte(src)); err != nil {
		t.Fatal(err)
	}
}

// The types built from the symbol tables have the process's real sizes.
func TestHostTypesHaveRealSizes(t *testing.T) {
	n := 0
	for pkg, syms := range allowlisted() {
		path := pkg.Path()
		for name, v := range syms {
			if strings.HasPrefix(name, "_") || v.Kind() != reflect.Pointer || !v.IsNil() {
				continue
			}
			obj, ok := pkg.Scope().Lookup(name).(*types.TypeName)
			if !ok {
				t.Errorf("%s.%s is not a type", path, name)
				continue
			}
			if got, want := gcSizes.Sizeof(obj.Type()), int64(v.Type().Elem().Size()); got != want {
				t.Errorf("%s.%s: size %d, want %d", path, name, got, want)
			}
			n++
		}
	}
	if n < 40 {
		t.Fatalf("only %d types", n)
	}
}

// Deep nesting is refused from the tokens, before the parser recurses once
// per level; the example scripts pass.
func TestNestingIsRefusedBeforeParsing(t *testing.T) {
	for _, h := range hostileScripts {
		if !strings.HasPrefix(h.name, "20k") {
			continue
		}
		c := checker{fset: token.NewFileSet()}
		if !c.nests(c.fset.AddFile("h.go", -1, len(h.src)), []byte(h.src)) {
			t.Errorf("%s: not refused before parsing", h.name)
		}
	}
	files, _ := filepath.Glob("../../examples/scripts/*.go")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c := checker{fset: token.NewFileSet()}
		if c.nests(c.fset.AddFile(file, -1, len(src)), src) {
			t.Errorf("%s: refused: %v", file, c.errs)
		}
	}
}
