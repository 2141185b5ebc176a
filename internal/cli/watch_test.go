package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// watchBatch encodes events as an agent's batch: each kv list is one
// event named name.
func watchBatch(t *testing.T, name string, events ...[]any) []byte {
	t.Helper()
	sub := jstrace.Subscribe(func(string) bool { return true }, 1<<20)
	t.Cleanup(sub.Close)
	for _, kv := range events {
		sub.Emit(name, kv...)
	}
	return sub.Read(nil)
}

func TestWatchGlobs(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		in, out   []string // names kept, names left out
		wantError bool
	}{
		{args: []string{"http:*,-http:layer:*"}, in: []string{"http:request"}, out: []string{"http:layer:x", "db:q"}},
		{args: []string{"{a,b}:x", "c:*"}, in: []string{"a:x", "b:x", "c:y"}, out: []string{"d:x"}},
		{args: []string{"-a:*"}, wantError: true},
		{args: []string{"a:*,"}, wantError: true},
		{args: []string{"[a"}, wantError: true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			inc, exc, err := watchGlobs(tc.args)
			if (err != nil) != tc.wantError {
				t.Fatalf("error %v, want error %v", err, tc.wantError)
			}
			if err != nil {
				return
			}
			include, _ := compileGlobs(inc)
			for _, n := range tc.in {
				if !include.Match(n) || exc.Match(n) {
					t.Errorf("%s left out", n)
				}
			}
			for _, n := range tc.out {
				if include.Match(n) && !exc.Match(n) {
					t.Errorf("%s kept", n)
				}
			}
		})
	}
}

// watchSink is the sink of jstrace watch globs.
func watchSink(t *tracer, globs []string, asJSON bool) func(*client.Conn, []byte) {
	include, _ := compileGlobs(globs)
	exclude, _ := compileGlobs(nil)
	return globSink(t, include, exclude, func(t *tracer, c *client.Conn, rec []byte) { watchRecord(t, c, rec, asJSON) })
}

// Hostile names and values reach stdout escaped, one line per event, in
// text and in JSON; the JSON is valid and holds the values as sent.
func TestWatchFormatHostile(t *testing.T) {
	hostile := "GET /\x1b]52;c;cm0=\x07\x1b[2J\u009b\r\"quoted\"\nforged\x7f\u202egnp.exe"
	long := strings.Repeat("x", 10000)
	batch := watchBatch(t, "request:end",
		[]any{"path", hostile, "long", long, "status", 200, "d", 3 * time.Millisecond, "nan", math.NaN(), "b", []byte("\x1b")},
		[]any{"path", "/ok"})
	batch = append(batch, watchBatch(t, "other:x", []any{"k", 1})...)
	conn := hostileConn()
	for _, tc := range []struct {
		name string
		json bool
	}{{"text", false}, {"json", true}} {
		t.Run(tc.name, func(t *testing.T) {
			tr, stdout, stderr := newTestTracer(false)
			watchSink(tr, []string{"request:*"}, tc.json)(conn, batch)
			out := stdout.String()
			if strings.ContainsAny(out, "\x1b\x07\r\u009b\x7f\u202e") {
				t.Fatalf("raw control characters: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d lines, want 2 (other:x left out): %q (stderr %q)", len(lines), out, stderr)
			}
			if !tc.json {
				if !strings.Contains(lines[0], `h\x1b]0;owned\x07/t\x0aforged line/7 request:end`) ||
					!strings.Contains(lines[0], ` status=200`) || !strings.Contains(lines[0], ` d=3ms`) ||
					len(lines[0]) > 3*maxField+2000 {
					t.Fatalf("line: %q", lines[0])
				}
				if !strings.HasSuffix(lines[1], `request:end path="/ok"`) {
					t.Fatalf("line 2: %q", lines[1])
				}
				return
			}
			var ev struct {
				Time   time.Time
				Host   string
				Title  string
				PID    int
				Probe  string
				Fields map[string]any
			}
			if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
				t.Fatalf("bad JSON %q: %v", lines[0], err)
			}
			if ev.Host != conn.Origin.Hostname || ev.Title != conn.Origin.Title || ev.PID != 7 || ev.Probe != "request:end" ||
				ev.Fields["path"] != hostile || ev.Fields["long"] != long || ev.Fields["status"] != 200.0 ||
				ev.Fields["d"] != "3ms" || ev.Fields["nan"] != "NaN" || time.Since(ev.Time) > time.Minute {
				t.Fatalf("event %+v", ev)
			}
			if !strings.Contains(lines[0], `"time":"`+ev.Time.UTC().Format(watchTime)+`"`) {
				t.Fatalf("time not RFC 3339 with ns: %q", lines[0])
			}
		})
	}
}

// A malformed batch is reported once and prints nothing.
func TestWatchMalformed(t *testing.T) {
	tr, stdout, stderr := newTestTracer(false)
	watchSink(tr, []string{"*"}, false)(&client.Conn{Addr: "x:1", Origin: scripthost.Origin{}}, []byte{0xff, 0xff, 0xff})
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "malformed") {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
}

// jstrace ls --json: one valid object per agent, hostile names escaped
// and kept.
func TestLsJSON(t *testing.T) {
	hostile := "t\x1b]0;x\x07\u009b\"\n"
	rows := []lsRow{
		{w: protocol.Welcome{PID: 7, Title: hostile, Hostname: "h", Sessions: 1, Probes: []string{"a:b", "c\x1b"}, Agent: "v1"}, addr: "127.0.0.1:1"},
		{w: protocol.Welcome{PID: 8}, addr: "x:2"},
	}
	for _, probes := range []bool{false, true} {
		text, err := lsJSON(rows, probes)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(text, "\x1b\x07\u009b") {
			t.Fatalf("raw control characters: %q", text)
		}
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines: %q", len(lines), text)
		}
		var a lsAgent
		if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
			t.Fatal(err)
		}
		want := lsAgent{PID: 7, Title: hostile, Host: "h", Addr: "127.0.0.1:1", Sessions: 1, Probes: 2, Version: "v1"}
		if probes {
			want.ProbeNames = []string{"a:b", "c\x1b"}
		}
		if fmt.Sprint(a) != fmt.Sprint(want) {
			t.Fatalf("probes=%v: %+v, want %+v", probes, a, want)
		}
	}
}
