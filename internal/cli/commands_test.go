package cli

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// parse runs a command line through newCmd with a run function that keeps
// the options instead of running, and returns them (nil if the command
// did not run) and the exit code.
func parse[O any](t *testing.T, newCmd func(*output, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, int) {
	t.Helper()
	var got *O
	cmd := newCmd(&output{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	setUsageCodes(cmd)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, exitCode(cmd.Execute())
}

func TestTraceFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want TraceOptions
	}{
		{"script only", []string{"s.go"}, TraceOptions{Script: "s.go"}},
		{"session", []string{"--duration", "1m30s", "-v", "--wait", "s.go"},
			TraceOptions{Script: "s.go", Duration: 90 * time.Second, Verbose: true, Wait: true}},
		{"selection", []string{"-p", "42", "-t", "api*", "-H", "web-?", "s.go"},
			TraceOptions{Script: "s.go", ConnectOptions: ConnectOptions{PID: 42, Title: "api*", Host: "web-?"}}},
		{"long selection", []string{"--pid=7", "--title", "x", "--host", "y", "s.go"},
			TraceOptions{Script: "s.go", ConnectOptions: ConnectOptions{PID: 7, Title: "x", Host: "y"}}},
		{"agents", []string{"--agents", "a:1,b:2", "--agents", "unix:/s", "--token", "t", "s.go"},
			TraceOptions{Script: "s.go", ConnectOptions: ConnectOptions{Agents: []string{"a:1", "b:2", "unix:/s"}, Token: "t"}}},
		{"tls", []string{"--tls", "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-server-name", "api", "--raw", "s.go"},
			TraceOptions{Script: "s.go", ConnectOptions: ConnectOptions{TLS: true, TLSCA: "ca.pem", TLSCert: "c.pem", TLSKey: "k.pem", TLSServerName: "api", Raw: true}}},
		{"flags after the script", []string{"s.go", "-p", "3"},
			TraceOptions{Script: "s.go", ConnectOptions: ConnectOptions{PID: 3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			got, code := parse(t, NewCmdTrace, tt.args...)
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			if got.IO == nil {
				t.Error("no IO")
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestLsFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want LsOptions
	}{
		{"none", nil, LsOptions{}},
		{"probes", []string{"--probes"}, LsOptions{Probes: true}},
		{"selection", []string{"-p", "9", "-t", "a", "-H", "b", "--agents", "h:1", "--token", "x", "--tls", "--raw"},
			LsOptions{ConnectOptions: ConnectOptions{PID: 9, Title: "a", Host: "b", Agents: []string{"h:1"}, Token: "x", TLS: true, Raw: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			got, code := parse(t, NewCmdLs, tt.args...)
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestVetArgs(t *testing.T) {
	got, code := parse(t, NewCmdVet, "a.go", "b.go")
	if code != ExitOK || got == nil || !reflect.DeepEqual(got.Files, []string{"a.go", "b.go"}) {
		t.Fatalf("exit %d, options %+v", code, got)
	}
}

// Bad flags and arguments exit with ExitUsage before the command runs.
func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name, cmd string
		args      []string
	}{
		{"no script", "trace", nil},
		{"two scripts", "trace", []string{"a.go", "b.go"}},
		{"unknown flag", "trace", []string{"--nope", "a.go"}},
		{"bad pid", "trace", []string{"-p", "x", "a.go"}},
		{"bad duration", "trace", []string{"--duration", "soon", "a.go"}},
		{"missing value", "trace", []string{"a.go", "--token"}},
		{"argument", "ls", []string{"extra"}},
		{"flag of trace", "ls", []string{"--duration", "1s"}},
		{"no file", "vet", nil},
		{"selection flag", "vet", []string{"-p", "1", "a.go"}},
	} {
		t.Run(tt.cmd+" "+tt.name, func(t *testing.T) {
			var ran bool
			var code int
			switch tt.cmd {
			case "trace":
				var o *TraceOptions
				o, code = parse(t, NewCmdTrace, tt.args...)
				ran = o != nil
			case "ls":
				var o *LsOptions
				o, code = parse(t, NewCmdLs, tt.args...)
				ran = o != nil
			case "vet":
				var o *VetOptions
				o, code = parse(t, NewCmdVet, tt.args...)
				ran = o != nil
			}
			if ran || code != ExitUsage {
				t.Errorf("ran %v, exit %d, want %d", ran, code, ExitUsage)
			}
		})
	}
}

// Through Run, a usage error says so on stderr and where help is, and
// runs nothing.
func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"--nope"}, {"ls", "x"}, {"vet"}, {"-p", "x", "s.go"}, {"-t", "{bad", "s.go"}, {"--agents", "no-port", "s.go"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			clearEnv(t)
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), args, &stdout, &stderr); code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, &stderr)
			}
			if !strings.HasPrefix(stderr.String(), "jstrace: ") || !strings.Contains(stderr.String(), "jstrace: run 'jstrace --help' for usage\n") {
				t.Errorf("stderr:\n%s", &stderr)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %s", &stdout)
			}
		})
	}
}

// Every command is reachable from the root, with its help.
func TestCommandsHaveHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"ls", "--help"}, {"vet", "--help"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), args, &stdout, &stderr); code != ExitOK || stdout.Len() == 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, &stdout, &stderr)
		}
	}
}

// clearEnv unsets the CLI's environment for the test, so that the
// options are the flags' alone.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvAgents, EnvToken, EnvTLSCA, EnvTLSCert, EnvTLSKey} {
		t.Setenv(k, "")
	}
}
