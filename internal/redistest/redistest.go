// Package redistest gives tests a real redis-server, started by
// tools/redis.sh on a free loopback port.
//
// [URL] is the server a test binary shares: $JSTRACE_TEST_REDIS when set,
// else one started on first use and stopped when the test binary exits.
// Without redis-server installed, tests fail when $CI is "true" and are
// skipped (with a message saying how to install it) otherwise. [Start]
// starts a server of the test's own, for tests that stop or restart it.
//
// Tests sharing a server keep their keys apart (the Redis store takes a
// key prefix in tests). Functions here are safe for concurrent use.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Env names the variable that gives tests a Redis URL instead of a server
// of their own.
const Env = "JSTRACE_TEST_REDIS"

var shared struct {
	once sync.Once
	url  string
	err  error
}

// URL returns the URL of the Redis the test binary shares.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(Env); u != "" {
		return u
	}
	need(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "jstrace-redis-")
		if err != nil {
			shared.err = err
			return
		}
		// Stopped, with its directory left to the temp dir's cleaner,
		// when this process exits (REDIS_WATCH_PID).
		shared.url, shared.err = start(dir)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.url
}

// A Server is a redis-server of one test's own.
type Server struct {
	URL string
	dir string
}

// Start starts a redis-server for t alone, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	need(t)
	s := &Server{dir: t.TempDir()}
	var err error
	if s.URL, err = start(s.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Stop stops the server (a second Stop does nothing).
func (s *Server) Stop() error {
	if out, err := exec.Command("bash", script(), "stop", s.dir).CombinedOutput(); err != nil {
		return fmt.Errorf("tools/redis.sh stop: %v\n%s", err, out)
	}
	return nil
}

// need skips or fails t when redis-server is not installed.
func need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err == nil {
		return
	}
	msg := "redis-server is not installed (make redis, or tools/redis.sh install; or set " + Env + " to a Redis URL)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// start runs tools/redis.sh start dir and returns the server's URL.
func start(dir string) (string, error) {
	cmd := exec.Command("bash", script(), "start", dir)
	cmd.Env = append(os.Environ(), "REDIS_WATCH_PID="+strconv.Itoa(os.Getpid()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("tools/redis.sh start: %v\n%s", err, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "REDIS_URL="); ok {
			return u, nil
		}
	}
	return "", fmt.Errorf("tools/redis.sh start printed no REDIS_URL: %q", out)
}

// script is tools/redis.sh of the checkout this package was built from.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tools", "redis.sh")
}
