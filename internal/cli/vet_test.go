package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const vetClean = `//go:build ignore

package main

import "github.com/jstrace-go/jstrace/script"

func Local(traces *script.Traces) {
	traces.On("request:*", func(t *script.Trace) { _ = t.Name })
}
`

// Each kind of problem the CLI finds before it runs a script, at its
// position: syntax, imports, the interpreter's subset, signatures, types.
var vetBad = []struct {
	name, src, want string
}{
	{"syntax", "package main\n\nfunc Local(\n", `^syntax\.go:3:13: expected`},
	{"import", "package main\n\nimport \"os\"\n\nfunc Local(*script.Traces) { _ = os.Args }\n", `^import\.go:3:8: import "os" is not allowed`},
	{"goroutine", strings.Replace(vetClean, "traces.On(", "go traces.On(", 1), `^goroutine\.go:8:2: go statements are not allowed`},
	{"signature", "package main\n\nfunc Local(n int) {}\n", `^signature\.go:3:6: Local must be declared as func Local\(traces \*script\.Traces\)`},
	{"no entry", "package main\n\nfunc helper() {}\n", `^no entry\.go:1:9: a script must define`},
	{"types", strings.Replace(vetClean, "_ = t.Name", "var n int = t.Name; _ = n", 1), `^types\.go:8:\d+: .*cannot use t\.Name`},
}

// vet from a directory with no go.mod, in-process: clean scripts pass
// silently, each problem is reported as file:line:col, and the exit code
// is ExitScript.
func TestVet(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("clean.go", []byte(vetClean), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"vet", "clean.go"}, &stdout, &stderr); code != ExitOK || stdout.Len()+stderr.Len() > 0 {
		t.Fatalf("clean script: exit %d, output %q %q", code, &stdout, &stderr)
	}
	for _, tt := range vetBad {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.name + ".go"
			if err := os.WriteFile(file, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"vet", "clean.go", file}, &stdout, &stderr)
			if code != ExitScript {
				t.Errorf("exit %d, want %d", code, ExitScript)
			}
			if !regexp.MustCompile(`(?m)` + tt.want).MatchString(stderr.String()) {
				t.Errorf("stderr lacks %s:\n%s", tt.want, &stderr)
			}
			if strings.Contains(stderr.String(), "clean.go") {
				t.Errorf("the clean script reported:\n%s", &stderr)
			}
			if !strings.HasSuffix(stderr.String(), " in 1 of 2 script(s)\n") {
				t.Errorf("no summary:\n%s", &stderr)
			}
		})
	}
}

// Every example script passes vet, and vet runs none of them.
func TestVetExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/scripts/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if err := runVet(context.Background(), &VetOptions{IO: &output{stdout: &stdout, stderr: &stderr}, Files: files}); err != nil {
		t.Fatalf("%v\n%s", err, &stderr)
	}
	if stdout.Len()+stderr.Len() > 0 {
		t.Fatalf("output %q %q", &stdout, &stderr)
	}
}

// vet runs no script code: top-level initialisers that would print or
// panic do neither.
func TestVetRunsNothing(t *testing.T) {
	src := strings.Replace(vetClean, "func Local", "var _ = boom()\n\nfunc boom() int { println(\"ran\"); panic(\"ran\") }\n\nfunc Local", 1)
	path := filepath.Join(t.TempDir(), "init.go")
	os.WriteFile(path, []byte(src), 0o600)
	var stdout, stderr bytes.Buffer
	if err := runVet(context.Background(), &VetOptions{IO: &output{stdout: &stdout, stderr: &stderr}, Files: []string{path}}); err != nil {
		t.Fatalf("%v\n%s", err, &stderr)
	}
	if stdout.Len()+stderr.Len() > 0 {
		t.Fatalf("output %q %q", &stdout, &stderr)
	}
}

// A file that cannot be read is a usage error, reported before any check.
func TestVetMissingFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"vet", filepath.Join(t.TempDir(), "nope.go")}, &stdout, &stderr); code != ExitUsage {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
}

// vet --handlers says where the agents run each Remote handler, and why
// one that loops runs on the script's goroutine, and whether each Every
// callback compiles; Local's handlers are not listed.
func TestVetHandlers(t *testing.T) {
	t.Chdir(t.TempDir())
	const src = `//go:build ignore

package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) { n++ })
	traces.On("request:start", func(t *script.Trace) {
		for i := 0; i < 3; i++ {
			n++
		}
	})
	traces.On("request:error", func(t *script.Trace) {
		n++
		traces.Dump(t)
	})
	traces.Every(time.Second, func() {
		for i := 0; i < 3; i++ {
			n--
		}
	})
	traces.Every(time.Second, func() { traces.Dump(n) })
}

func Local(traces *script.Traces) {
	traces.On("request:*", func(t *script.Trace) {})
}
`
	if err := os.WriteFile("h.go", []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"vet", "--handlers", "h.go"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	want := "h.go:13:2: handler runs where its probe fires, compiled\n" +
		"h.go:14:2: handler runs on the script's goroutine: h.go:15:3: a loop\n" +
		"h.go:19:2: handler runs where its probe fires, interpreted: h.go:21:3: the Traces method Dump\n" +
		"h.go:23:2: Every callback compiled\n" +
		"h.go:28:2: Every callback interpreted: h.go:28:37: the Traces method Dump\n"
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", &stdout, want)
	}
}
