package e2e

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/testcerts"
)

// whoami is a Remote script that says which processes run it.
const whoami = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Dump("attached")
}
`

func TestSelectionByPidTitleAndHost(t *testing.T) {
	e := newEnv(t)
	api1 := e.start("api", "web-1")
	api2 := e.start("api", "web-2")
	worker := e.start("worker", "db-1")
	script := e.script("whoami.go", whoami)
	all := map[*service]string{
		api1:   prefix("web-1", "api", api1),
		api2:   prefix("web-2", "api", api2),
		worker: prefix("db-1", "worker", worker),
	}
	tests := []struct {
		name string
		args []string
		want []*service
	}{
		{"pid", []string{"-p", strconv.Itoa(api2.pid)}, []*service{api2}},
		{"title glob", []string{"-t", "a*"}, []*service{api1, api2}},
		{"exact title", []string{"-t", "worker"}, []*service{worker}},
		{"host glob", []string{"-H", "web-*"}, []*service{api1, api2}},
		{"host alternatives", []string{"-H", "{web-2,db-1}"}, []*service{api2, worker}},
		{"title and host", []string{"-t", "api", "-H", "*-1"}, []*service{api1}},
		{"everything", nil, []*service{api1, api2, worker}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.jstrace(append(append([]string{"--duration", "300ms"}, tt.args...), script)...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			want := map[*service]bool{}
			for _, s := range tt.want {
				want[s] = true
			}
			for s, p := range all {
				if got := strings.Contains(r.stdout, p+"attached"); got != want[s] {
					t.Errorf("%s attached: %v, want %v\nstdout:\n%s", p, got, want[s], r.stdout)
				}
			}
		})
	}
}

func TestNoMatchingAgent(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("-t", "nothing*", e.script("w.go", whoami))
	if r.code != 3 || !strings.Contains(r.stderr, `no agent matches: searched agents with title "nothing*"`) || !strings.Contains(r.stderr, "web-1/api/") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	r = e.jstrace("-p", "999999", e.script("w.go", whoami))
	if r.code != 3 || !strings.Contains(r.stderr, "pid 999999") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestLocalRemoteEmitAndConsole(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) {
		n++
		if n == 1 {
			traces.Dump("dir line", t.Str("method"))
			traces.Log("log line")
			traces.Error("error line")
			fmt.Println("fmt line")
		}
	})
	traces.Every(100*time.Millisecond, func() { traces.Emit("count", "n", n) })
}

func Local(traces *script.Traces) {
	last, raw := 0, 0
	traces.On("count", func(t *script.Trace) { last = t.Int("n") })
	traces.On("request:start", func(t *script.Trace) {
		raw++
		if raw == 1 {
			fmt.Printf("raw %s from %s/%s/%d\n", t.Name, t.Hostname, t.Title, t.PID)
		}
	})
	traces.OnCleanup(func() { fmt.Println("local saw counts up to", last, "and raw traces:", raw > 0) })
}
`
	r := e.jstrace("--duration", "1500ms", "-t", "api", e.script("s.go", src))
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	p := prefix("web-1", "api", svc)
	for _, want := range []string{p + "dir line ", "\nlog line\n", "\nfmt line\n", fmt.Sprintf("raw request:start from web-1/api/%d\n", svc.pid), "and raw traces: true\n"} {
		if !strings.Contains("\n"+r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "error line\n") || strings.Contains(r.stdout, "error line") {
		t.Errorf("traces.Error output misplaced\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "local saw counts up to 0 ") {
		t.Errorf("no emitted counts reached Local:\n%s", r.stdout)
	}
}

func TestCleanupOrder(t *testing.T) {
	e := newEnv(t)
	a := e.start("api", "web-1")
	b := e.start("api", "web-2")
	r := e.jstrace("--duration", "1200ms", "-t", "api", "examples/scripts/cleanup.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasSuffix(last, "requests in 2 processes") {
		t.Fatalf("last line %q, want Local's cleanup after both remotes\n%s", last, r.stdout)
	}
	total := 0
	for _, s := range []*service{a, b} {
		p := prefix(s.pid2host(a), "api", s)
		i := strings.LastIndex(r.stdout, p+"requests in total: ")
		if i < 0 {
			t.Fatalf("no remote cleanup output from %s\n%s", p, r.stdout)
		}
		n, _ := strconv.Atoi(strings.Fields(r.stdout[i+len(p):])[3])
		total += n
	}
	if want := fmt.Sprintf("%d requests in 2 processes", total); last != want || total == 0 {
		t.Fatalf("last line %q, want %q", last, want)
	}
}

// pid2host names the test hosts of TestCleanupOrder.
func (s *service) pid2host(first *service) string {
	if s == first {
		return "web-1"
	}
	return "web-2"
}

func TestCompileErrorIsReportedBeforeShipping(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	bad := e.script("bad.go", "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Remote(traces *script.Traces) {\n\ttraces.On(\"x\", func(t *script.Trace) { undefinedThing() })\n}\n")
	r := e.jstrace("-t", "api", bad)
	if r.code != 4 || !strings.Contains(r.stderr, bad+":6:41: undefined: undefinedThing") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	forbidden := e.script("forbidden.go", "package main\n\nimport (\n\t\"os/exec\"\n\t\"github.com/jstrace-go/jstrace/script\"\n)\n\nfunc Remote(traces *script.Traces) { exec.Command(\"true\").Run() }\n")
	r = e.jstrace("-t", "api", forbidden)
	if r.code != 4 || !strings.Contains(r.stderr, forbidden+`:4:2: import "os/exec" is not allowed in scripts`) {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(svc.log.String(), "session attached") {
		t.Fatalf("a script that does not compile reached the agent:\n%s", svc.log.String())
	}
}

func TestRemoteErrorsArePrefixed(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("--duration", "1s", "-t", "api", "examples/scripts/remote-errors.go")
	want := prefix("web-1", "api", svc) + `handler for "request:error": panic in main.Remote.func at examples/scripts/remote-errors.go:`
	if r.code != 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "assignment to entry in nil map") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "remote errors") {
		t.Errorf("no error count at exit:\n%s", r.stderr)
	}
	svc.alive(t)
}

func TestProcessJoiningAndLeaving(t *testing.T) {
	e := newEnv(t)
	first := e.start("api", "web-1")
	src := e.script("durations.go", strings.Replace(whoami, `traces.Dump("attached")`, `traces.Dump("attached"); traces.Every(100*time.Millisecond, func() { traces.Dump("tick") })`, 1))
	src = e.script("durations.go", strings.Replace(mustRead(t, src), `import "github.com/jstrace-go/jstrace/script"`, "import (\n\t\"time\"\n\t\"github.com/jstrace-go/jstrace/script\"\n)", 1))
	run := e.jstraceStart("-t", "api", src)
	run.waitOutput(t, prefix("web-1", "api", first)+"tick")
	second := e.start("api", "web-2")
	run.waitOutput(t, prefix("web-2", "api", second)+"tick") // joined within the rescan period
	second.kill()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(run.stderr.String(), fmt.Sprintf("web-2/api/%d: agent gone", second.pid)) {
		if time.Now().After(deadline) {
			t.Fatalf("the loss of an agent was not reported:\n%s", run.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := strings.Count(run.stdout.String(), prefix("web-1", "api", first)+"tick")
	time.Sleep(500 * time.Millisecond)
	if after := strings.Count(run.stdout.String(), prefix("web-1", "api", first)+"tick"); after <= before {
		t.Fatal("the session stopped when one agent went away")
	}
	run.signal(syscall.SIGINT)
	if r := run.wait(t, 30*time.Second); r.code != 0 {
		t.Fatalf("exit %d after Ctrl-C\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestPidTargetExitingEndsSession(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	run := e.jstraceStart("-p", strconv.Itoa(svc.pid), e.script("w.go", whoami))
	run.waitOutput(t, "attached")
	svc.kill()
	r := run.wait(t, 30*time.Second)
	if r.code != 6 || !strings.Contains(r.stderr, "agent gone") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestDetachRestoresService(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("busy.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Dump("attached")
	traces.On("request:*", func(t *script.Trace) { traces.Emit("e", "id", t.Int("id")) })
}

func Local(traces *script.Traces) {
	traces.On("e", func(t *script.Trace) {})
}
`)
	tests := []struct {
		name string
		end  func(r *running)
	}{
		{"SIGKILL", func(r *running) { r.signal(syscall.SIGKILL) }},
		{"SIGINT", func(r *running) { r.signal(syscall.SIGINT) }},
		{"SIGSTOP then SIGKILL", func(r *running) {
			r.signal(syscall.SIGSTOP)
			time.Sleep(time.Second) // the agent's buffers fill; probes drop, never block
			svc.alive(t)
			r.signal(syscall.SIGKILL)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.jstraceStart("-p", strconv.Itoa(svc.pid), src)
			run.waitOutput(t, "attached")
			e.waitSessions(svc.pid, 1)
			tt.end(run)
			run.wait(t, 30*time.Second)
			e.waitSessions(svc.pid, 0)
			svc.alive(t)
		})
	}
}

func TestLsAndAgentsFlag(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("ls", "--probes")
	if r.code != 0 || !strings.Contains(r.stdout, strconv.Itoa(svc.pid)) || !strings.Contains(r.stdout, "request:end") {
		t.Fatalf("ls: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	addr := agentAddr(t, r.stdout, svc.pid)
	// --agents with a DNS name: localhost expands to its addresses.
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	r = e.jstrace("--agents", "localhost:"+port, "--duration", "300ms", e.script("w.go", whoami))
	if r.code != 0 || !strings.Contains(r.stdout, prefix("web-1", "api", svc)+"attached") {
		t.Fatalf("--agents: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = e.jstrace("ls", "-t", "nope")
	if r.code != 3 {
		t.Fatalf("ls with no match: exit %d", r.code)
	}
}

func agentAddr(t *testing.T, ls string, pid int) string {
	for _, line := range strings.Split(ls, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == strconv.Itoa(pid) {
			return f[3]
		}
	}
	t.Fatalf("pid %d not in ls output:\n%s", pid, ls)
	return ""
}

func TestUsageAndVersion(t *testing.T) {
	e := newEnv(t)
	if r := e.jstrace("-V"); r.code != 0 || !strings.Contains(r.stdout, "0.1.0") {
		t.Fatalf("-V: exit %d: %q", r.code, r.stdout)
	}
	if r := e.jstrace(); r.code != 2 {
		t.Fatalf("no script: exit %d", r.code)
	}
	if r := e.jstrace("--bogus", "x.go"); r.code != 2 || !strings.Contains(r.stderr, "unknown flag") {
		t.Fatalf("bad flag: exit %d: %s", r.code, r.stderr)
	}
	if r := e.jstrace("missing.go"); r.code != 2 || !strings.Contains(r.stderr, "missing.go") {
		t.Fatalf("missing script: exit %d: %s", r.code, r.stderr)
	}
}

func TestToken(t *testing.T) {
	e := newEnv(t)
	svc := e.startEnv("api", "web-1", "JSTRACE_TOKEN=s3cret")
	script := e.script("w.go", whoami)
	addr := agentAddr(t, e.jstrace("ls").stdout, svc.pid)
	// From elsewhere (no discovery file to read), the token is required.
	remote := []string{"JSTRACE_RUN_DIR=" + filepath.Join(e.dir, "elsewhere")}
	for _, args := range [][]string{
		{"--agents", addr, script},
		{"--agents", addr, "--token", "wrong", script},
		{"--agents", addr, "--token", "wrong", "--wait", script}, // waiting would not help
	} {
		r := e.jstraceEnv(remote, args...)
		if r.code != 5 || !strings.Contains(r.stderr, "authentication failed: wrong or missing token") {
			t.Fatalf("%v: exit %d\nstderr:\n%s", args, r.code, r.stderr)
		}
	}
	for _, r := range []result{
		e.jstraceEnv(remote, "--agents", addr, "--token", "s3cret", "--duration", "300ms", script),
		// The user running the service attaches locally without it: the
		// discovery file's secret proves who they are.
		e.jstrace("-t", "api", "--duration", "300ms", script),
	} {
		if r.code != 0 || !strings.Contains(r.stdout, prefix("web-1", "api", svc)+"attached") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	}
}

// An agent reached across hosts with TLS and client certificates, set up
// through the environment only; the CLI brings its certificate.
func TestTLS(t *testing.T) {
	e := newEnv(t)
	cs := testcerts.New()
	if err := cs.Write(e.dir); err != nil {
		t.Fatal(err)
	}
	svc := e.startEnv("api", "web-1", "JSTRACE_ADDR=0.0.0.0:0", "JSTRACE_TLS_CERT="+cs.ServerCert,
		"JSTRACE_TLS_KEY="+cs.ServerKey, "JSTRACE_TLS_CLIENT_CA="+cs.CAFile)
	tlsFlags := []string{"--tls-ca", cs.CAFile, "--tls-cert", cs.ClientCert, "--tls-key", cs.ClientKey}
	ls := e.jstrace(append([]string{"ls"}, tlsFlags...)...)
	addr := agentAddr(t, ls.stdout, svc.pid)
	remote := []string{"JSTRACE_RUN_DIR=" + filepath.Join(e.dir, "elsewhere")}
	script := e.script("w.go", whoami)
	r := e.jstraceEnv(remote, append(tlsFlags, "--agents", addr, "--duration", "300ms", script)...)
	if r.code != 0 || !strings.Contains(r.stdout, prefix("web-1", "api", svc)+"attached") {
		t.Fatalf("with a client certificate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = e.jstraceEnv(remote, "--tls-ca", cs.CAFile, "--agents", addr, script)
	if r.code != 5 {
		t.Fatalf("without a client certificate: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

// A package the service opts in, used by Remote through a marked import.
func TestOptedInPackage(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("-t", "api", "--duration", "1200ms", "examples/scripts/inflight.go")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("web-1/api/%d: ", svc.pid)) || !strings.Contains(r.stdout, "requests in flight") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// A native Aggregation in Remote, read from an Every callback, emitted to
// Local: every request the service served in the window is in a group.
func TestAggregationExample(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("-t", "api", "--duration", "2500ms", "examples/scripts/latency-by-status.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	p := fmt.Sprintf("web-1/api/%d  ", svc.pid)
	statuses := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, p))
		if !strings.HasPrefix(line, p) || len(f) != 9 || f[2] != "req/s" || f[3] != "p50" || f[5] != "p99" || f[7] != "max" {
			t.Fatalf("unexpected line %q\n%s", line, r.stdout)
		}
		p50, err1 := time.ParseDuration(f[4])
		p99, err2 := time.ParseDuration(f[6])
		max, err3 := time.ParseDuration(f[8])
		if err1 != nil || err2 != nil || err3 != nil || p50 > p99 || p99 > max || max <= 0 {
			t.Fatalf("percentiles out of order in %q", line)
		}
		statuses[f[0]] = true
	}
	// The service's own load: successes, not found, failures, uploads.
	for _, s := range []string{"200", "500"} {
		if !statuses[s] {
			t.Errorf("no group for status %s\n%s", s, r.stdout)
		}
	}
}
