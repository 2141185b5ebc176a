package sandbox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// runRemote loads a script whose Remote runs body, with the given imports,
// runs it, and returns what it panicked with and printed.
func runRemote(t *testing.T, imports []string, decls, body string) (any, string) {
	t.Helper()
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"github.com/jstrace-go/jstrace/script\"\n")
	for _, imp := range imports {
		fmt.Fprintf(&src, "\t%q\n", imp)
	}
	src.WriteString(")\n\nvar _ = fmt.Sprint\n")
	for _, imp := range imports {
		if name, ok := anyName[imp]; ok {
			fmt.Fprintf(&src, "var _ = %s.%s\n", imp[strings.LastIndexByte(imp, '/')+1:], name)
		}
	}
	src.WriteString(decls + "\nfunc Remote(traces *script.Traces) {\n" + body + "\n}\n")
	s, err := Load("n.go", []byte(src.String()), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	h := &fakeHost{}
	var got any
	func() {
		defer func() { got = recover() }()
		s.Remote(scripthost.NewTraces(h))
	}()
	return got, h.printed.String()
}

// anyName is an exported name of each package, to keep imports used
// (generic packages have none that can stand alone: the body uses them).
var anyName = map[string]string{"math/rand": "Intn", "strconv": "Itoa", "bytes": "MinRead", "encoding/json": "Valid", "errors": "New", "regexp": "QuoteMeta", "strings": "Count", "text/tabwriter": "Debug"}

// Natives that recurse over a script's values, or allocate as much as a
// script's value says, refuse (issue 10, class 2d and the rest of 2c).
func TestNativesRefuseHostileValues(t *testing.T) {
	all := []string{"math/rand", "bytes", "encoding/json", "errors", "regexp", "strconv", "strings", "text/tabwriter"}
	const decls = `
type N struct{ Next *N }

func deepSlice(n int) any {
	var v any = 1
	for i := 0; i < n; i++ {
		v = []any{v}
	}
	return v
}

func deepMap(n int) any {
	var v any = 1
	for i := 0; i < n; i++ {
		v = map[string]any{"k": v}
	}
	return v
}

func mib() string { return strings.Repeat("x", 1<<20) }
`
	tests := []struct{ name, body, want string }{
		{"json.Marshal deep []any", "json.Marshal(deepSlice(100000))", "nested too deep"},
		{"json.Marshal deep map", "json.Marshal(deepMap(100000))", "nested too deep"},
		{"json.MarshalIndent deep", `json.MarshalIndent(deepSlice(100000), "", " ")`, "nested too deep"},
		{"json.MarshalIndent huge indent", `json.MarshalIndent(deepSlice(400), "", mib())`, "would exceed"},
		{"json.Encoder.Encode", "var b bytes.Buffer\njson.NewEncoder(&b).Encode(deepSlice(100000))", "nested too deep"},
		{"json.Encoder zero", "var e json.Encoder\ne.Encode(deepSlice(100000))", "not made by NewEncoder"},
		{"json.Indent huge indent", "var b bytes.Buffer\njson.Indent(&b, []byte(strings.Repeat(\"[\", 400)+strings.Repeat(\"]\", 400)), \"\", mib())", "exceed"},
		{"json pointer cycle", "n := &N{}\nn.Next = n\njson.Marshal(n)", "contains itself"},
		{"json shared halves", "var v any = 1\nfor i := 0; i < 40; i++ { v = []any{v, v} }\njson.Marshal(v)", "too large"},
		{"errors.Join shared halves", "e := errors.New(\"x\")\nfor i := 0; i < 40; i++ { e = errors.Join(e, e) }", "too large"},
		{"errors.Join deep", "e := errors.New(\"x\")\nfor i := 0; i < 1000; i++ { e = errors.Join(e, errors.New(\"y\")) }", "too deep"},
		{"fmt.Errorf deep", "e := errors.New(\"x\")\nfor i := 0; i < 1000; i++ { e = fmt.Errorf(\"%w %w\", e, e) }", "too"},
		{"errors.Join huge message", "e := errors.New(mib())\nfor i := 0; i < 300; i++ { e = errors.Join(e, errors.New(mib())) }", "too"},
		{"fmt of one string a thousand times", "s := make([]string, 1000)\nfor i := range s { s[i] = mib() }\n_ = fmt.Sprint(s)", "too large"},
		{"strings.Join", "s := make([]string, 1000)\nfor i := range s { s[i] = mib() }\n_ = strings.Join(s, \",\")", "exceeds"},
		{"bytes.Join", "b := make([][]byte, 1000)\nfor i := range b { b[i] = []byte(mib()) }\n_ = bytes.Join(b, nil)", "exceeds"},
		{"strings.ReplaceAll", "_ = strings.ReplaceAll(mib(), \"x\", mib()[:1000])", "exceeds"},
		{"bytes.Replace", "_ = bytes.Replace([]byte(mib()), nil, []byte(mib()[:1000]), -1)", "exceeds"},
		{"strings.Replacer", "_ = strings.NewReplacer(\"x\", mib()[:1000]).Replace(mib())", "exceeds"},
		{"strings.Builder.Grow", "var b strings.Builder\nb.Grow(1 << 40)", "exceeds"},
		{"bytes.Buffer.Grow", "var b bytes.Buffer\nb.Grow(1 << 40)", "exceeds"},
		{"bytes.NewBuffer Grow", "bytes.NewBufferString(\"x\").Grow(1 << 40)", "exceeds"},
		{"regexp.ReplaceAllString", "_ = regexp.MustCompile(\"\").ReplaceAllString(mib(), mib()[:1000])", "would make more"},
		{"regexp.ReplaceAllString expanding", "_ = regexp.MustCompile(\".+\").ReplaceAllString(mib(), strings.Repeat(\"$0\", 300))", "would make more"},
		{"regexp.ReplaceAllLiteral", "_ = regexp.MustCompile(\"x\").ReplaceAllLiteral([]byte(mib()), []byte(mib()[:1000]))", "would make more"},
		{"regexp.ReplaceAllStringFunc", "r := mib()[:1000]\n_ = regexp.MustCompile(\"\").ReplaceAllStringFunc(mib(), func(string) string { return r })", "would make more"},
		{"regexp.ExpandString", "re := regexp.MustCompile(\".+\")\ns := mib()\n_ = re.ExpandString(nil, strings.Repeat(\"$0\", 300), s, re.FindStringSubmatchIndex(s))", "would make more"},
		{"regexp.FindAllString", "_ = regexp.MustCompile(\"\").FindAllString(strings.Repeat(\"x\", 20<<20), -1)", "matches exceed"},
		{"fmt widths", "a := make([]any, 1000)\nfor i := range a { a[i] = 1 }\n_ = fmt.Sprintf(strings.Repeat(\"%01000000d\", 1000), a...)", "value too large"},
		{"fmt widths from arguments", "a := make([]any, 2000)\nfor i := range a { a[i] = 1000000 }\n_ = fmt.Sprintf(strings.Repeat(\"%*d\", 1000), a...)", "value too large"},
		{"tabwriter minwidth 1<<40", "var b bytes.Buffer\nw := tabwriter.NewWriter(&b, 1<<40, 8, 1, ' ', 0)\nfmt.Fprint(w, \"a\\tb\\n\")\nw.Flush()", "exceed the scripts' limit"},
		{"tabwriter many cells", "var b bytes.Buffer\nvar w tabwriter.Writer\nw.Init(&b, 100000, 8, 1, '.', 0)\nfmt.Fprint(&w, strings.Repeat(\"\\t\", 10000))", "exceed the scripts' limit"},
		{"tabwriter zero", "var w tabwriter.Writer\nfmt.Fprint(&w, \"x\")", "not made by NewWriter"},
		{"strings.Split into bytes", "_ = strings.Split(strings.Repeat(\"x\", 20<<20), \"\")", "exceeds"},
		{"bytes.Fields", "_ = bytes.Fields([]byte(strings.Repeat(\"x \", 12<<20)))", "exceeds"},
		{"strings.SplitN", "_ = strings.SplitN(strings.Repeat(\",\", 20<<20), \",\", -1)", "exceeds"},
		{"strings.ToValidUTF8", "_ = strings.ToValidUTF8(strings.Repeat(\"\\xffa\", 1000), mib())", "exceeds"},
		{"strconv.FormatFloat", "_ = strconv.FormatFloat(1, 'f', 1<<40, 64)", "precision"},
		{"strconv.AppendFloat", "_ = strconv.AppendFloat(nil, 1, 'e', 1<<40, 64)", "precision"},
		{"rand.Perm", "_ = rand.Perm(1 << 40)", "exceeds"},
		{"strconv.FormatComplex", "_ = strconv.FormatComplex(1i, 'f', 1<<40, 128)", "precision"},
		{"regexp zero", "var re regexp.Regexp\nre.MatchString(\"x\")", "not made by Compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runRemote(t, all, decls, tt.body)
			if got == nil || !strings.Contains(fmt.Sprint(got), tt.want) {
				t.Fatalf("recovered %v, want a panic with %q", got, tt.want)
			}
		})
	}
}

// And the same natives still work on ordinary values.
func TestGuardedNativesStillWork(t *testing.T) {
	body := `
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	enc.Encode(map[string]any{"a": []int{1, 2}})
	out, _ := json.Marshal([]any{"x", 1.5, nil})
	var ind bytes.Buffer
	json.Indent(&ind, out, "", "  ")
	var c bytes.Buffer
	json.Compact(&c, b.Bytes())
	e1 := errors.New("one")
	joined := errors.Join(e1, fmt.Errorf("two: %w", e1))
	var sb strings.Builder
	sb.Grow(10)
	fmt.Fprintf(&sb, "%d", 42)
	r := strings.NewReplacer("a", "b")
	var tb bytes.Buffer
	tw := tabwriter.NewWriter(&tb, 0, 8, 1, ' ', 0)
	fmt.Fprint(tw, "a\tbb\tc\nddd\te\tf\n")
	tw.Flush()
	fmt.Print(tb.String())
	fmt.Println(strings.Split("a,b", ","), strings.Fields(" a  b "), len(bytes.Split([]byte("a,b,c"), []byte(","))), strings.ToValidUTF8("a\xffb", "?"))
	re := regexp.MustCompile(` + "`a(\\d)`" + `)
	fmt.Println(re.ReplaceAllString("a1a2", "<$1>"), re.FindAllString("a1a2", -1), re.ReplaceAllStringFunc("a3", strings.ToUpper), len(re.Split("xa1y", -1)))
	fmt.Println(string(out), c.String(), len(ind.String()) > 0, errors.Is(joined, e1), sb.String(), r.Replace("aa"),
		strings.Join([]string{"p", "q"}, "-"), strings.ReplaceAll("aXa", "X", "yy"), bytes.NewBufferString("z").String())
	`
	_, printed := runRemoteStdout(t, []string{"bytes", "encoding/json", "errors", "regexp", "strings", "text/tabwriter"}, body)
	want := "a   bb c\nddd e  f\n" + "[a b] [a b] 3 a?b\n" + "<1><2> [a1 a2] A3 2\n" + `["x",1.5,null] {"a":[1,2]} true true 42 bb p-q ayya z` + "\n"
	if printed != want {
		t.Fatalf("printed %q, want %q", printed, want)
	}
}

func runRemoteStdout(t *testing.T, imports []string, body string) (any, string) {
	t.Helper()
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"github.com/jstrace-go/jstrace/script\"\n")
	for _, imp := range imports {
		fmt.Fprintf(&src, "\t%q\n", imp)
	}
	src.WriteString(")\n\nfunc Remote(traces *script.Traces) {\n" + body + "\n}\n")
	var out strings.Builder
	s, err := Load("n.go", []byte(src.String()), Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	var got any
	func() {
		defer func() { got = recover() }()
		s.Remote(scripthost.NewTraces(&fakeHost{}))
	}()
	if got != nil {
		t.Fatalf("panic: %v", got)
	}
	return got, out.String()
}
