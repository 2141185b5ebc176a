package sandbox

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pruneSrc has a function of every kind Remote may reach, or not.
const pruneSrc = `package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

type hist struct{ n int }

func (h *hist) add() { h.n += viaMethod() }

func viaMethod() int { return 1 }

var started = viaVar()

func viaVar() time.Time { return time.Now() }

func init() { viaInit() }

func viaInit() {}

func first[T any](xs []T) T { return xs[0] }

func viaRemote(s string) string { return strings.ToUpper(first([]string{s})) + deeper() }

func deeper() string { return "!" }

func onlyLocal(n int) string { return strconv.Itoa(n) + localDeeper() }

func localDeeper() string { return "?" }

func unused() { sort.Ints(nil) }

func Remote(traces *script.Traces) {
	h := &hist{}
	h.add()
	fmt.Println(viaRemote("hello"), h.n, started.IsZero())
}

func Local(traces *script.Traces) {
	fmt.Println(onlyLocal(1))
}
`

func TestOnlyRemoteKeepsWhatRemoteReaches(t *testing.T) {
	ck, err := check(token.NewFileSet(), "s.go", []byte(pruneSrc), policy{})
	if err != nil {
		t.Fatal(err)
	}
	onlyRemote(ck)
	var funcs, imports []string
	for _, d := range ck.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			funcs = append(funcs, fd.Name.Name)
		}
	}
	for _, s := range ck.file.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		imports = append(imports, p)
	}
	wantFuncs := []string{"add", "viaMethod", "viaVar", "init", "viaInit", "first", "viaRemote", "deeper", "Remote"}
	if !slices.Equal(funcs, wantFuncs) {
		t.Errorf("functions kept: %v, want %v", funcs, wantFuncs)
	}
	wantImports := []string{"fmt", "strings", "time", "github.com/jstrace-go/jstrace/script"}
	if !slices.Equal(imports, wantImports) {
		t.Errorf("imports kept: %v, want %v", imports, wantImports)
	}
}

// What is left runs as the whole script's Remote did; Local is gone.
func TestRemoteOnlyRuns(t *testing.T) {
	for _, remoteOnly := range []bool{false, true} {
		var out bytes.Buffer
		s, err := Load("s.go", []byte(pruneSrc), Options{Stdout: &out, RemoteOnly: remoteOnly})
		if err != nil {
			t.Fatal(err)
		}
		s.Remote(nil)
		if got := out.String(); got != "HELLO! 1 false\n" {
			t.Errorf("RemoteOnly %v: Remote printed %q", remoteOnly, got)
		}
		if (s.Local == nil) != remoteOnly {
			t.Errorf("RemoteOnly %v: Local nil: %v", remoteOnly, s.Local == nil)
		}
	}
}

// The whole script is still checked: an error in Local is an error.
func TestRemoteOnlyChecksLocal(t *testing.T) {
	src := strings.Replace(pruneSrc, "onlyLocal(1)", "onlyLocal(\"one\")", 1)
	_, err := Load("s.go", []byte(src), Options{RemoteOnly: true})
	if err == nil || !strings.Contains(err.Error(), "s.go:46:") {
		t.Fatalf("err = %v, want the error in Local", err)
	}
}

// BenchmarkLoadExample: an agent's set-up of an example script, whole (as
// agents compiled scripts before RemoteOnly) and as agents now do.
func BenchmarkLoadExample(b *testing.B) {
	for _, name := range []string{"span-p99", "latency-by-status", "request-events"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", "scripts", name+".go"))
		if err != nil {
			b.Fatal(err)
		}
		for _, remoteOnly := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/remote-only=%v", name, remoteOnly), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Load(name+".go", src, Options{RemoteOnly: remoteOnly}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
