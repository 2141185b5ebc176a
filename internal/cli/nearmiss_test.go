package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

func warnTracer(addrs ...string) (*tracer, *bytes.Buffer) {
	var stderr bytes.Buffer
	t := &tracer{out: &output{stderr: &stderr}, agents: map[string]*agent{}, warned: map[string]bool{}}
	for _, a := range addrs {
		t.agents[a] = &agent{conn: &client.Conn{Addr: a}}
	}
	return t, &stderr
}

func noProbe(pattern string, near ...string) protocol.Warning {
	return protocol.Warning{Kind: protocol.WarnNoProbe, Pattern: pattern, Near: near}
}

func TestWarningNoProbeEverywhere(t *testing.T) {
	tr, stderr := warnTracer("a", "b")
	a, b := &client.Conn{Addr: "a"}, &client.Conn{Addr: "b"}
	tr.Warning(a, noProbe("request:ned", "request:end", "request:error"))
	if stderr.Len() != 0 {
		t.Fatalf("warned after one agent of two: %q", stderr)
	}
	tr.Warning(b, noProbe("request:ned", "request:start", "request:end"))
	tr.Warning(b, noProbe("request:ned", "request:end")) // again: told once
	want := "jstrace: warning: no probe matches \"request:ned\" in any attached process (did you mean request:end?)\n"
	if stderr.String() != want {
		t.Fatalf("got %q\nwant %q", stderr, want)
	}
}

func TestWarningNoProbeSomewhere(t *testing.T) {
	tr, stderr := warnTracer("a", "b")
	tr.Warning(&client.Conn{Addr: "a"}, noProbe("api:*"))
	tr.Warning(&client.Conn{Addr: "a"}, noProbe("api:*"))
	if stderr.Len() != 0 {
		t.Fatalf("warned of a pattern b did not report: %q", stderr)
	}
	tr, stderr = warnTracer("a")
	tr.Warning(&client.Conn{Addr: "a"}, noProbe("db:*"))
	if want := "jstrace: warning: no probe matches \"db:*\" in any attached process\n"; stderr.String() != want {
		t.Fatalf("got %q, want %q", stderr, want)
	}
}

// An agent being dialed, found by a rescan, does not hold the warning back.
func TestWarningNoProbeWhileDialing(t *testing.T) {
	tr, stderr := warnTracer("a")
	tr.agents["b"] = &agent{} // a placeholder: attaching
	tr.Warning(&client.Conn{Addr: "a"}, noProbe("db:*"))
	if !strings.Contains(stderr.String(), `no probe matches "db:*"`) {
		t.Fatalf("got %q", stderr)
	}
}

func TestWarningNoField(t *testing.T) {
	tr, stderr := warnTracer("a", "b")
	w := protocol.Warning{Kind: protocol.WarnNoField, Pattern: "request:end", Field: "duraton", Near: []string{"status", "duration", "id\x1b[2J"}}
	tr.Warning(&client.Conn{Addr: "a"}, w)
	tr.Warning(&client.Conn{Addr: "b"}, w)
	want := "jstrace: warning: aggregation on \"request:end\": field \"duraton\" never seen; fields seen: duration, status, id\\x1b[2J\n"
	if stderr.String() != want {
		t.Fatalf("got %q\nwant %q", stderr, want)
	}
}

// TestWarningBounded checks that an agent sending endless Warnings costs
// the CLI bounded memory.
func TestWarningBounded(t *testing.T) {
	tr, _ := warnTracer("a", "b")
	for i := range 10 * maxMissed {
		tr.Warning(&client.Conn{Addr: "a"}, noProbe(strings.Repeat("x", i), strings.Repeat("y", i), "z"))
	}
	if len(tr.near.missed) != maxMissed {
		t.Fatalf("%d patterns kept", len(tr.near.missed))
	}
	for i := range 10 * maxNearNames {
		tr.Warning(&client.Conn{Addr: "a"}, noProbe("", strings.Repeat("n", i)))
	}
	if n := len(tr.near.missed[""].near); n != maxNearNames {
		t.Fatalf("%d near misses kept", n)
	}
}

// A pattern of Local is told at the end, if no event Remote emitted
// matched it.
func TestWarningLocal(t *testing.T) {
	for _, emitted := range []string{"", "stats", "other"} {
		tr, stderr := warnTracer("a", "b")
		tr.attach.LocalPatterns = []string{"stats", "request:*"}
		tr.Warning(&client.Conn{Addr: "a"}, noProbe("stats"))
		tr.Warning(&client.Conn{Addr: "b"}, noProbe("stats", "stat"))
		tr.Warning(&client.Conn{Addr: "a"}, noProbe("request:*"))
		if stderr.Len() != 0 {
			t.Fatalf("told before the end: %q", stderr)
		}
		if emitted != "" {
			tr.noteEmitted(emitted)
		}
		tr.warnLocal()
		tr.warnLocal()
		want := "jstrace: warning: nothing matches \"stats\" in Local: no probe in any attached process, no event Remote emitted (did you mean stat?)\n"
		if emitted == "stats" {
			want = ""
		}
		if stderr.String() != want {
			t.Errorf("emitted %q: got %q\nwant %q", emitted, stderr, want)
		}
	}
}
