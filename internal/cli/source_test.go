package cli

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/sandbox"
)

func TestTraceScriptArgs(t *testing.T) {
	many := make([]string, protocol.MaxArgs+1)
	for i := range many {
		many[i] = "x"
	}
	for _, tt := range []struct {
		name string
		args []string
		want *TraceOptions // nil: a usage error
	}{
		{"args after --", []string{"s.go", "--", "a", "b c", "-v"}, &TraceOptions{Script: "s.go", Args: []string{"a", "b c", "-v"}}},
		{"flags before --", []string{"-p", "3", "s.go", "--", "a"}, &TraceOptions{Script: "s.go", Args: []string{"a"}, ConnectOptions: ConnectOptions{PID: 3}}},
		{"nothing after --", []string{"s.go", "--"}, &TraceOptions{Script: "s.go"}},
		{"stdin", []string{"-", "--", "a"}, &TraceOptions{Script: "-", Args: []string{"a"}}},
		{"expr", []string{"-e", "traces.Log(1)"}, &TraceOptions{Expr: "traces.Log(1)"}},
		{"expr long", []string{"--expr=traces.Log(1)", "--", "a"}, &TraceOptions{Expr: "traces.Log(1)", Args: []string{"a"}}},
		{"max args", append([]string{"s.go", "--"}, many[1:]...), &TraceOptions{Script: "s.go", Args: many[1:]}},
		{"too many args", append([]string{"s.go", "--"}, many...), nil},
		{"args too long", []string{"s.go", "--", strings.Repeat("a", protocol.MaxArgsBytes+1)}, nil},
		{"args without --", []string{"s.go", "a"}, nil},
		{"expr and script", []string{"-e", "traces.Log(1)", "s.go"}, nil},
		{"empty expr", []string{"-e", " "}, nil},
		{"only args", []string{"--", "a"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			got, code := parse(t, NewCmdTrace, tt.args...)
			if tt.want == nil {
				if code != ExitUsage || got != nil {
					t.Fatalf("exit %d, ran %v; want a usage error", code, got != nil)
				}
				return
			}
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, *tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
}

func TestReadStdin(t *testing.T) {
	big := strings.Repeat("/", sandbox.MaxSourceSize+1)
	for _, tt := range []struct {
		name, in, err string
	}{
		{"script", "package main\n", ""},
		{"empty", "", "no script on standard input"},
		{"blank", " \n\t\n", "no script on standard input"},
		{"too big", big, "over 1048576 bytes"},
		{"just fits", big[1:], ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, err := readStdin(strings.NewReader(tt.in))
			if tt.err == "" {
				if err != nil || string(src) != tt.in {
					t.Fatalf("got %d bytes, %v", len(src), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || exitCode(err) != ExitUsage {
				t.Fatalf("err = %v (exit %d), want %q, usage", err, exitCode(err), tt.err)
			}
		})
	}
}

// TestExprScript compiles generated scripts as the CLI does: a one-liner
// that compiles gives a script with a Remote and no Local; one that does
// not is reported at its own line and column.
func TestExprScript(t *testing.T) {
	for _, tt := range []struct {
		name, expr, err string
		local           bool
	}{
		{"on", `traces.On("request:end", func(t *script.Trace) { traces.Log(t.Str("path")) })`, "", false},
		{"imports", `traces.Every(time.Second, func() { traces.Log(fmt.Sprint(strings.ToUpper("x"), traces.Args())) })`, "", false},
		{"several lines", "n := 0\ntraces.On(\"*\", func(*script.Trace) { n++ })", "", false},
		{"undefined", `traces.Log(nope)`, "-e:1:12: undefined: nope", false},
		{"second line", "x := 1\n  traces.Log(y)", "-e:2:14: undefined: y", false},
		{"unclosed", `traces.On("x", func(t *script.Trace) {`, "-e:2:", false},
		{"not allowed", `os.Exit(1)`, "-e:1:1: undefined: os", false},
		{"local", `traces.On("request:end", func(t *script.Trace) { fmt.Println(t.PID) })`, "", true},
		{"local undefined", `traces.Log(nope)`, "-e:1:12: undefined: nope", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, err := sandbox.New(sandbox.Options{Stdout: os.Stdout, Stderr: os.Stderr, LocalOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = x.Compile(exprName, exprScript(tt.expr, tt.local))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, exprScript(tt.expr, tt.local))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if strings.Contains(err.Error(), ":1"+"5:") || strings.Contains(err.Error(), "Remote") {
				t.Errorf("err = %v names the generated file", err)
			}
		})
	}
}
