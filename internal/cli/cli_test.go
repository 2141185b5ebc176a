package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("x"), ExitError},
		{withCode(ExitScript, errors.New("x")), ExitScript},
		{fmtWrap(withCode(ExitNoAgents, errors.New("x"))), ExitNoAgents},
		{withCode(ExitUsage, nil), ExitOK},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

func TestSelector(t *testing.T) {
	s, err := newSelector(0, "api-*", "{web,db}-?", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pid         int
		title, host string
		want        bool
	}{
		{1, "api-1", "web-1", true},
		{1, "api-1", "db-9", true},
		{1, "worker", "web-1", false},
		{1, "api-1", "web-10", false},
	}
	for _, tt := range tests {
		if got := s.matches(tt.pid, tt.title, tt.host); got != tt.want {
			t.Errorf("matches(%d, %q, %q) = %v", tt.pid, tt.title, tt.host, got)
		}
	}
	if !s.matchesWelcome(&protocol.Welcome{PID: 3, Title: "api-x", Hostname: "web-2"}) {
		t.Error("matchesWelcome")
	}
	if d := s.describe(); !strings.Contains(d, `title "api-*"`) || !strings.Contains(d, `host "{web,db}-?"`) {
		t.Errorf("describe = %q", d)
	}
	if !s.canGrow() {
		t.Error("a title selection can grow")
	}
	p, _ := newSelector(42, "", "", nil)
	if p.canGrow() || !p.matches(42, "x", "y") || p.matches(43, "x", "y") {
		t.Error("pid selection")
	}
	if _, err := newSelector(0, "{bad", "", nil); exitCode(err) != ExitUsage {
		t.Errorf("bad glob: %v", err)
	}
	if _, err := newSelector(0, "", "", []string{"no-port"}); exitCode(err) != ExitUsage {
		t.Errorf("bad --agents: %v", err)
	}
}

func TestCandidatesExpandNames(t *testing.T) {
	// A resolver of the test's own: unit tests stay off the network.
	hosts := map[string][]string{"agents.example": {"10.0.0.2", "10.0.0.1"}}
	lookup := func(_ context.Context, host string) ([]string, error) {
		if ips, ok := hosts[host]; ok {
			return ips, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	s, _ := newSelector(0, "", "", []string{"agents.example:7070", "127.0.0.9:1"})
	s.lookupHost = lookup
	cs, err := s.candidates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, c := range cs {
		addrs = append(addrs, c.addr)
	}
	if got := strings.Join(addrs, " "); got != "10.0.0.1:7070 10.0.0.2:7070 127.0.0.9:1" {
		t.Fatalf("candidates %v", addrs)
	}
	s, _ = newSelector(0, "", "", []string{"no-such-host.example:1"})
	s.lookupHost = lookup
	if _, err := s.candidates(context.Background()); err == nil || !strings.Contains(err.Error(), "no-such-host.example") {
		t.Fatalf("an unresolvable name: %v", err)
	}
}

func TestOutputPrefixesEveryLine(t *testing.T) {
	var out bytes.Buffer
	o := &output{stdout: &out, stderr: &out}
	o.prefixed(&out, "h/t/1 >> ", "a\nb\n")
	o.prefixed(&out, "h/t/1 >> ", "no newline")
	if got := out.String(); got != "h/t/1 >> a\nh/t/1 >> b\nh/t/1 >> no newline\n" {
		t.Fatalf("got %q", got)
	}
}

func TestLossSummary(t *testing.T) {
	if lossSummary(protocol.Stats{Events: 10}) != "" {
		t.Error("no loss reported as a loss")
	}
	got := lossSummary(protocol.Stats{Dropped: 3, HandlerDropped: 2, ConsoleDropped: 5, Errors: 1})
	for _, want := range []string{"3 events dropped", "2 events dropped by slow remote handlers", "5 bytes of console output", "1 remote errors"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func TestPermanentFailures(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{withCode(ExitScript, errors.New("x")), true},
		{withCode(ExitConnect, &protocol.Error{Code: protocol.CodeAuth}), true},
		{withCode(ExitConnect, fmt.Errorf("dial: %w", protocol.ErrVersion)), true},
		{withCode(ExitConnect, errors.New("connection refused")), false},
		{withCode(ExitConnect, &protocol.Error{Code: protocol.CodeBusy}), false},
	}
	for _, tt := range tests {
		if got := permanent(tt.err); got != tt.want {
			t.Errorf("permanent(%v) = %v", tt.err, got)
		}
	}
	if rank(withCode(ExitScript, errors.New("x"))) <= rank(withCode(ExitConnect, errors.New("refused"))) {
		t.Error("a script error must be the failure reported")
	}
}
