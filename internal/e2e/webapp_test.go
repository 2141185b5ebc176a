package e2e

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var webappLine = regexp.MustCompile(`^webapp: pid (\d+), (http://\S+), jstrace agent `)

// startWebapp runs examples/webapp (net/http and database/sql traced by
// jstracehttp and jstracesql) under load, titled title.
func (e *env) startWebapp(title string, environ ...string) *service {
	e.t.Helper()
	cmd := exec.Command(webappBin.get(e.t), "-load", "80", "-db", "file:"+e.t.Name()+"?mode=memory&cache=shared")
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+e.runDir, "JSTRACE_TITLE="+title)
	cmd.Env = append(cmd.Env, environ...)
	s, line := e.launch(cmd, "webapp")
	select {
	case l := <-line:
		m := webappLine.FindStringSubmatch(l)
		if m == nil {
			e.t.Fatalf("webapp said %q\n%s", l, s.log.String())
		}
		s.http = m[2]
	case <-time.After(startTimeout):
		e.t.Fatalf("webapp did not start\n%s", s.log.String())
	}
	return s
}

// The example scripts over the request-scoped events: per-layer latency by
// route, errors by route with where they happened and whether a layer
// handled them, and the story of a failed request in order, from the
// real CLI against the real webapp under load.
func TestWebappScripts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWebapp("webapp")
	tests := []struct {
		script string
		want   []*regexp.Regexp
	}{
		{"layer-latency.go", []*regexp.Regexp{
			regexp.MustCompile(`(?m)^LAYER +ROUTE +REQ/S +MEAN +MAX$`),
			regexp.MustCompile(`(?m)^recover +GET /users/\{id\} +\d+ +\S+ +\S+$`),
			regexp.MustCompile(`(?m)^cache +GET /users/\{id\} +\d+ `),
			regexp.MustCompile(`(?m)^get-user +GET /users/\{id\} +\d+ `),
			regexp.MustCompile(`(?m)^slow +GET /slow +\d+ +\d+(\.\d+)?ms `),
		}},
		{"route-errors.go", []*regexp.Regexp{
			regexp.MustCompile(`(?m)^GET /fail +fail +\d+ unhandled update the audit log: .*no such table: no_such_table`),
			regexp.MustCompile(`(?m)^GET /panic +panic +\d+ unhandled .*the panic route panicked`),
			regexp.MustCompile(`(?m)^\(no route\) +auth +\d+ handled +missing or wrong bearer token$`),
		}},
		{"request-events.go", []*regexp.Regexp{
			// A failed request's story, in order: the request, its layers
			// inwards (the route is known once the mux has run), the
			// failing statement, the layers outwards, the errors.
			regexp.MustCompile(`(?s)request \S+: 500 in .*?\n  \+0s +http:request:start route=\n` +
				`.*?http:layer:start layer=recover.*?http:layer:start layer=auth.*?http:layer:start layer=fail` +
				`.*?db:exec:error .*?no such table.*?http:layer:end layer=fail.*?http:layer:end layer=recover` +
				`.*?http:layer:error layer=fail route=GET /fail error=update the audit log: .*?no such table` +
				`.*?http:request:end route=GET /fail status=500`),
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.script, ".go"), func(t *testing.T) {
			t.Parallel()
			r := e.jstrace("--duration", "4s", "-t", "webapp", "examples/scripts/"+tt.script)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			for _, re := range tt.want {
				if !re.MatchString(r.stdout) {
					t.Errorf("output lacks %s\nstdout:\n%s\nstderr:\n%s", re, r.stdout, r.stderr)
				}
			}
		})
	}
}

// JSTRACE_DEBUG prints a real service's matching events to its stderr, one
// line each, grouped by request ID with the time since that request's
// previous event (koa-trace's DEBUG output), with no session attached.
func TestWebappDebugOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startWebapp("webapp", "JSTRACE_DEBUG=http:request:*")
	start := regexp.MustCompile(`(?m)^(\S+) http:request:start \+0ms .*path=/`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		log := s.log.String()
		for _, m := range start.FindAllStringSubmatch(log, -1) {
			end := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + ` http:request:end \+\d+(\.\d+)?ms .*status=\d{3}`)
			if end.MatchString(log) {
				if strings.Contains(log, "http:layer:") || strings.Contains(log, "db:") {
					t.Fatalf("events outside JSTRACE_DEBUG's pattern:\n%s", log)
				}
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no request's start and end in the webapp's stderr:\n%s", s.log.String())
}
