package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/cli"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/recording"
)

// dumpedEvent is a record of a dump, decoded.
type dumpedEvent struct {
	host, title string
	pid         int
	probe, path string
	time        int64
}

func readDump(t *testing.T, path string) ([]dumpedEvent, recording.Header) {
	t.Helper()
	r, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []dumpedEvent
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := protocol.ParseRecord(rec.Event)
		if err != nil {
			t.Fatal(err)
		}
		ev := dumpedEvent{host: rec.Hostname, title: rec.Title, pid: rec.PID, probe: string(p.Name), time: p.Time}
		for f := p.Fields; len(f) > 0; {
			k, v, rest, _ := protocol.NextField(f)
			if string(k) == "path" {
				val, _, _ := protocol.DecodeValue(v)
				ev.path, _ = val.(string)
			}
			f = rest
		}
		out = append(out, ev)
	}
	return out, r.Header()
}

func get(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// A service started with JSTRACE_FLIGHT keeps its last request events:
// jstrace dump, with no session ever attached, writes a recording that
// ends with the request made last, holds only the recorded probes, and
// names the process; a glob keeps one probe; a service without a recorder
// is reported, and alone it makes dump fail with its exit code.
func TestFlightDump(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.startEnv("flighted", "flight-host", "JSTRACE_FLIGHT=256KiB:request:start,request:end")
	plain := e.start("flightless", "flight-host")
	for i := range 50 {
		get(t, rec.http+"/flight-e2e-"+strconv.Itoa(i))
	}
	get(t, rec.http+"/flight-e2e-last")
	dir := t.TempDir()

	t.Run("all", func(t *testing.T) {
		file := filepath.Join(dir, "all.jsonl.gz")
		r := e.jstrace("dump", "-p", strconv.Itoa(rec.pid), "-o", file)
		if r.code != 0 || !strings.Contains(r.stderr, "dumped") {
			t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		evs, h := readDump(t, file)
		if h.Source != "jstrace dump" || strings.Join(h.Globs, ",") != "request:start,request:end" {
			t.Fatalf("header %+v", h)
		}
		var last []dumpedEvent
		for _, ev := range evs {
			if ev.probe != "request:start" && ev.probe != "request:end" {
				t.Fatalf("probe %s is not recorded, but is in the dump", ev.probe)
			}
			if ev.host != "flight-host" || ev.title != "flighted" || ev.pid != rec.pid {
				t.Fatalf("record of %s/%s/%d", ev.host, ev.title, ev.pid)
			}
			if ev.path == "/flight-e2e-last" {
				last = append(last, ev)
			}
		}
		if len(last) != 2 || last[0].probe != "request:start" || last[1].probe != "request:end" {
			t.Fatalf("events of the last request: %+v (of %d)", last, len(evs))
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].time < evs[i-1].time {
				t.Fatalf("records out of time order at %d", i)
			}
		}
	})
	t.Run("glob", func(t *testing.T) {
		file := filepath.Join(dir, "end.jsonl")
		r := e.jstrace("dump", "-p", strconv.Itoa(rec.pid), "request:end", "-o", file)
		if r.code != 0 {
			t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		evs, _ := readDump(t, file)
		if len(evs) == 0 {
			t.Fatalf("exit %d, %d events\nstderr:\n%s", r.code, len(evs), r.stderr)
		}
		for _, ev := range evs {
			if ev.probe != "request:end" {
				t.Fatalf("probe %s in a dump of request:end", ev.probe)
			}
		}
	})
	t.Run("no recorder", func(t *testing.T) {
		file := filepath.Join(dir, "none.jsonl")
		r := e.jstrace("dump", "-p", strconv.Itoa(plain.pid), "-o", file)
		if r.code != cli.ExitNoFlight || !strings.Contains(r.stderr, "flightless") || !strings.Contains(r.stderr, "no flight recorder") || !strings.Contains(r.stderr, "JSTRACE_FLIGHT") {
			t.Fatalf("exit %d (want %d)\nstderr:\n%s", r.code, cli.ExitNoFlight, r.stderr)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Fatalf("a failed dump wrote %s (%v)", file, err)
		}
	})
	t.Run("unwritable", func(t *testing.T) {
		// Refused before any agent is asked, with the recording's code.
		file := filepath.Join(dir, "no-such-dir", "x.jsonl")
		r := e.jstrace("dump", "-p", strconv.Itoa(rec.pid), "-o", file)
		if r.code != cli.ExitRecording || !strings.Contains(r.stderr, "create recording "+file) ||
			!strings.Contains(r.stderr, "no such file or directory") || strings.Contains(r.stderr, "dumped") {
			t.Fatalf("exit %d (want %d)\nstderr:\n%s", r.code, cli.ExitRecording, r.stderr)
		}
	})
	t.Run("failed dump keeps the file", func(t *testing.T) {
		file := filepath.Join(dir, "kept.jsonl")
		if err := os.WriteFile(file, []byte("an earlier dump\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := e.jstrace("dump", "-p", strconv.Itoa(plain.pid), "-o", file)
		b, err := os.ReadFile(file)
		if r.code != cli.ExitNoFlight || err != nil || string(b) != "an earlier dump\n" {
			t.Fatalf("exit %d, file %q (%v)\nstderr:\n%s", r.code, b, err, r.stderr)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".kept.jsonl.*")); len(left) > 0 {
			t.Fatalf("temporary files left: %v", left)
		}
	})
	t.Run("both", func(t *testing.T) {
		file := filepath.Join(dir, "both.jsonl")
		r := e.jstrace("dump", "-H", "flight-host", "-o", file)
		if r.code != 0 {
			t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		evs, _ := readDump(t, file)
		if len(evs) == 0 || !strings.Contains(r.stderr, "flightless") {
			t.Fatalf("exit %d, %d events\nstderr:\n%s", r.code, len(evs), r.stderr)
		}
	})
}

// A bad JSTRACE_FLIGHT stops the service at start with a clear message.
func TestFlightBadEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cmd := exec.Command(bin.service, "-load", "0")
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+e.runDir, "JSTRACE_FLIGHT=8MB:request:*")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "JSTRACE_FLIGHT") || !strings.Contains(string(out), "KiB, MiB or GiB") {
		t.Fatalf("service with a bad JSTRACE_FLIGHT: %v\n%s", err, out)
	}
}

// jstrace probes lists the service's request probes with their hits in
// the window and the fields and kinds seen.
func TestProbesCatalogue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.start("catalogued", "probes-host")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if resp, err := http.Get(s.http + "/probes-e2e"); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	r := e.jstrace("probes", "-p", strconv.Itoa(s.pid), "request:*", "--for", "1s", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	got := map[string]map[string]string{}
	hits := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var p struct {
			Host, Title, Probe string
			PID                int
			Hits               float64
			PerSecond          float64 `json:"per_second"`
			WindowMS           int     `json:"window_ms"`
			Fields             []struct {
				Name  string
				Kinds []string
			}
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if p.PID != s.pid || p.Title != "catalogued" || p.Host != "probes-host" || p.WindowMS < 1000 || !strings.HasPrefix(p.Probe, "request:") {
			t.Fatalf("line %s", line)
		}
		got[p.Probe] = map[string]string{}
		for _, f := range p.Fields {
			got[p.Probe][f.Name] = strings.Join(f.Kinds, "|")
		}
		hits[p.Probe] = p.Hits
	}
	end := got["request:end"]
	if hits["request:end"] == 0 || end["path"] != "string" || end["status"] != "int" || end["duration"] != "duration" || end["method"] != "string" {
		t.Fatalf("request:end: %v hits, fields %v\nstdout:\n%s", hits["request:end"], end, r.stdout)
	}
	if _, ok := got["request:error"]; !ok {
		t.Fatalf("request:error (registered, maybe silent) is not listed:\n%s", r.stdout)
	}
	text := e.jstrace("probes", "-p", strconv.Itoa(s.pid), "request:end", "--for", "200ms")
	if text.code != 0 || !strings.Contains(text.stdout, "PROBE") || !strings.Contains(text.stdout, "path:string") || strings.Contains(text.stdout, "request:start") {
		t.Fatalf("table: exit %d\n%s\n%s", text.code, text.stdout, text.stderr)
	}
}
