package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jstrace watch --json prints the example service's request probes as
// NDJSON, one valid object per line, the request made here among them,
// and ends by itself at --duration; jstrace ls --json lists the service.
func TestWatchJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.start("watched", "watch-host")
	ls := e.jstrace("ls", "-p", strconv.Itoa(s.pid), "--json")
	var agent struct {
		PID    int
		Title  string
		Host   string
		Probes int
	}
	if err := json.Unmarshal([]byte(ls.stdout), &agent); err != nil || ls.code != 0 || agent.PID != s.pid || agent.Title != "watched" || agent.Host != "watch-host" || agent.Probes == 0 {
		t.Fatalf("jstrace ls --json: exit %d, %+v (%v)\nstdout:\n%s\nstderr:\n%s", ls.code, agent, err, ls.stdout, ls.stderr)
	}
	run := e.jstraceStart("watch", "-p", strconv.Itoa(s.pid), "request:*,-request:error", "--json", "--duration", "5s")
	e.waitSessions(s.pid, 1)
	resp, err := http.Get(s.http + "/watch-e2e")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := run.wait(t, 30*time.Second)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	type event struct {
		Time   string
		Host   string
		Title  string
		PID    int
		Probe  string
		Fields map[string]any
	}
	var mine []event
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not JSON: %q: %v", sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil || ev.Host != "watch-host" || ev.Title != "watched" || ev.PID != s.pid {
			t.Fatalf("event %+v", ev)
		}
		if !strings.HasPrefix(ev.Probe, "request:") || ev.Probe == "request:error" {
			t.Fatalf("probe %q not selected", ev.Probe)
		}
		if ev.Fields["path"] == "/watch-e2e" {
			mine = append(mine, ev)
		}
	}
	if len(mine) != 2 || mine[0].Probe != "request:start" || mine[1].Probe != "request:end" {
		t.Fatalf("events of the request: %+v\nstdout:\n%.2000s\nstderr:\n%s", mine, r.stdout, r.stderr)
	}
}
