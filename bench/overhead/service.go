package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// A service is one example service process under measurement.
type service struct {
	title string // its process title, which jstrace -t finds it by
	addr  string // host:port of its HTTP server
	pprof string // host:port of its net/http/pprof, with -profile
	cmd   *exec.Cmd
	// clients are the load generator's, kept connected from run to run so
	// that no run measures dialling.
	clients []*client
}

// startService starts the example service without its own load, titled
// title, registered in runDir, pinned to serviceCPU if it is set, with
// more environment variables env and more arguments args.
func startService(bin, runDir, title string, profile bool, env []string, args ...string) (*service, error) {
	s := &service{title: title}
	cmd := exec.Command(filepath.Join(bin, "service"), append([]string{"-load", "0", "-max-delay", "0"}, args...)...)
	if profile {
		s.pprof = freeAddr()
		cmd.Args = append(cmd.Args, "-pprof", s.pprof)
	}
	cmd = pinned(cmd, serviceCPU)
	cmd.Env = append(append(os.Environ(), "JSTRACE_RUN_DIR="+runDir, "JSTRACE_TITLE="+title), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd = cmd
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("service %s: %w", title, err)
	}
	m := regexp.MustCompile(`http://([0-9.:]+)`).FindStringSubmatch(line)
	if m == nil {
		s.stop()
		return nil, fmt.Errorf("service %s said %q", title, line)
	}
	s.addr = m[1]
	return s, nil
}

func (s *service) pid() int { return s.cmd.Process.Pid }

// connect returns n clients of path, connected (a client whose connection
// failed dials again on its next request).
func (s *service) connect(n int, path string) []*client {
	for len(s.clients) < n {
		s.clients = append(s.clients, newClient(s.addr, path))
	}
	for _, c := range s.clients[:n] {
		c.connect()
	}
	return s.clients[:n]
}

func (s *service) stop() {
	for _, c := range s.clients {
		c.close()
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// A session is a jstrace CLI attached to one service, running a script.
type session struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the CLI has exited
	err  error         // why, once done
}

// attach starts jstrace on script against the service titled title and
// waits until it has attached and then for settle: attaching costs a burst
// (the CLI starts, both sides compile the script, the service collects the
// garbage of that) which the attach benchmarks measure; this measures the
// steady state.
func attach(bin, runDir, title, script string) (*session, error) {
	cmd := exec.Command(filepath.Join(bin, "jstrace"), "-t", title, "-v", script)
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+runDir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &session{cmd: cmd, done: make(chan struct{})}
	attached := make(chan struct{})
	go func() {
		var tail []string // the CLI's last words, should it exit
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "attached to") {
				once.Do(func() { close(attached) })
			}
			if tail = append(tail, sc.Text()); len(tail) > 20 {
				tail = tail[1:]
			}
		}
		err := cmd.Wait()
		s.err = fmt.Errorf("jstrace exited (%v): %s", err, strings.Join(tail, "\n"))
		close(s.done)
	}()
	select {
	case <-attached:
	case <-s.done:
		return nil, s.err
	case <-time.After(10 * time.Second):
		s.close()
		return nil, fmt.Errorf("jstrace did not attach to %s", title)
	}
	time.Sleep(settle)
	return s, s.alive()
}

// alive reports an error if the CLI has exited: the runs since it did were
// not traced.
func (s *session) alive() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// close interrupts the CLI, as a user would, and waits for it.
func (s *session) close() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}
