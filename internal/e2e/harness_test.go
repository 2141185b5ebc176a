// Package e2e holds the integration tests: they build the real jstrace and
// example service binaries, start real target processes with real TCP
// agents, and run the real CLI against them.
//
// Most tests spend their time waiting on their own processes, each with
// its own services, ports and discovery directory: they call t.Parallel
// and run side by side. The few that measure CPU shares or rates (a
// session's CPU budget, the agents' total, a flood's rate, a console's
// throughput) do not: they run first, one at a time, with the machine to
// themselves as far as this package goes.
package e2e

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var bin struct {
	jstrace string
	service string
}

// parallelTests is how many tests run at once unless -parallel says
// otherwise: they wait more than they compute, so more than the CPUs.
const parallelTests = 8

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", strconv.Itoa(parallelTests))
	}
	dir, err := os.MkdirTemp("", "jstrace-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.jstrace = filepath.Join(dir, "jstrace")
	bin.service = filepath.Join(dir, "service")
	for _, b := range []struct{ out, pkg string }{{bin.jstrace, "../../cmd/jstrace"}, {bin.service, "../../examples/service"}} {
		args := []string{"build", "-o", b.out}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, b.pkg)...)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", b.pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a test's private world: its own run directory, so tests never see
// each other's agents.
type env struct {
	t      *testing.T
	runDir string
	dir    string
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	return &env{t: t, runDir: filepath.Join(dir, "run"), dir: dir}
}

// sub is the world of a subtest of e's test: e's agents, its own
// directory for scripts, and t for its failures.
func (e *env) sub(t *testing.T) *env {
	return &env{t: t, runDir: e.runDir, dir: t.TempDir()}
}

// service is a running example service.
type service struct {
	cmd  *exec.Cmd
	pid  int
	http string
	log  *syncBuffer
}

// startTimeout bounds a service's start: generous, for a loaded machine
// running tests in parallel.
const startTimeout = 30 * time.Second

var serviceLine = regexp.MustCompile(`service: pid (\d+), (http://\S+), jstrace agent (\S+)`)

// start runs the example service with the given title and host name.
func (e *env) start(title, host string) *service {
	e.t.Helper()
	return e.startEnv(title, host)
}

// startEnv runs the example service with more environment variables.
func (e *env) startEnv(title, host string, environ ...string) *service {
	e.t.Helper()
	cmd := exec.Command(bin.service, "-load", "100", "-max-delay", "2ms")
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+e.runDir, "JSTRACE_TITLE="+title, "JSTRACE_HOSTNAME="+host)
	cmd.Env = append(cmd.Env, environ...)
	s, line := e.launch(cmd, "service")
	select {
	case l := <-line:
		m := serviceLine.FindStringSubmatch(l)
		if m == nil {
			e.t.Fatalf("service said %q", l)
		}
		s.http = m[2]
	case <-time.After(startTimeout):
		e.t.Fatalf("service did not start in %v; log:\n%s", startTimeout, s.log.String())
	}
	return s
}

// launch starts cmd, its stderr kept as its log, killed and checked for
// data races when the test ends; line yields the first line of its stdout
// (the rest is read and discarded).
func (e *env) launch(cmd *exec.Cmd, what string) (s *service, line <-chan string) {
	e.t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	log := &syncBuffer{}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	s = &service{cmd: cmd, pid: cmd.Process.Pid, log: log}
	e.t.Cleanup(func() {
		s.kill()
		noRace(e.t, what, log.String())
	})
	return s, firstLine(stdout)
}

// firstLine yields the first line r gives, then reads and discards the rest
// until r ends (so the writer never blocks).
func firstLine(r io.Reader) <-chan string {
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
	}()
	return first
}

func (s *service) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// alive checks that the service still answers HTTP.
func (s *service) alive(t *testing.T) {
	t.Helper()
	resp, err := http.Get(s.http + "/")
	if err != nil {
		t.Fatalf("service %d does not answer: %v\nlog:\n%s", s.pid, err, s.log.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("service %d answered %d", s.pid, resp.StatusCode)
	}
}

// logSays waits up to d for the service's log to contain want: the agent
// logs after it has torn a connection down, which the peer may see first.
func (s *service) logSays(want string, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(s.log.String(), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// prefix is the console prefix of the service's output.
func prefix(host, title string, s *service) string {
	return fmt.Sprintf("%s/%s/%d >> ", host, title, s.pid)
}

// result of a jstrace run.
type result struct {
	stdout, stderr string
	code           int
}

// jstrace runs the CLI to completion.
func (e *env) jstrace(args ...string) result {
	e.t.Helper()
	return e.jstraceEnv(nil, args...)
}

// jstraceEnv runs the CLI to completion with more environment variables.
func (e *env) jstraceEnv(environ []string, args ...string) result {
	e.t.Helper()
	p := e.jstraceStartEnv(environ, args...)
	return p.wait(e.t, 60*time.Second)
}

// running is a jstrace process in the background.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
}

func (e *env) jstraceStart(args ...string) *running {
	e.t.Helper()
	return e.jstraceStartEnv(nil, args...)
}

func (e *env) jstraceStartEnv(environ []string, args ...string) *running {
	e.t.Helper()
	cmd := exec.Command(bin.jstrace, args...)
	cmd.Env = append(append(os.Environ(), "JSTRACE_RUN_DIR="+e.runDir), environ...)
	cmd.Dir = "../.."
	r := &running{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return r
}

func (r *running) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		r.cmd.Process.Kill()
		<-done
		t.Fatalf("jstrace %v did not finish in %v\nstdout:\n%s\nstderr:\n%s", r.cmd.Args[1:], timeout, r.stdout, r.stderr)
	}
	noRace(t, "jstrace", r.stderr.String())
	return result{r.stdout.String(), r.stderr.String(), r.cmd.ProcessState.ExitCode()}
}

// noRace fails the test if a race-enabled binary reported a data race.
func noRace(t *testing.T, what, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "WARNING: DATA RACE") {
		t.Errorf("%s reported a data race:\n%s", what, stderr)
	}
}

func (r *running) signal(sig syscall.Signal) { r.cmd.Process.Signal(sig) }

// waitOutput waits until stdout contains s.
func (r *running) waitOutput(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(r.stdout.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in jstrace output:\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// script writes a script into the test's directory and returns its path.
func (e *env) script(name, src string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// sessions returns the SESSIONS column of jstrace ls for a pid.
func (e *env) sessions(pid int) int {
	e.t.Helper()
	r := e.jstrace("ls", "-p", strconv.Itoa(pid))
	if r.code != 0 {
		return -1
	}
	for _, line := range strings.Split(r.stdout, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(f[4])
			return n
		}
	}
	return -1
}

func (e *env) waitSessions(pid, want int) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := e.sessions(pid)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("pid %d has %d sessions, want %d", pid, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const sigint = syscall.SIGINT
