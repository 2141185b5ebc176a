package agent_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestParseFlight(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want agent.Flight
		err  string
	}{
		{in: "8MiB:request:*,db:*", want: agent.Flight{Size: 8 << 20, Probes: []string{"request:*", "db:*"}}},
		{in: "64KiB:{http,db}:*", want: agent.Flight{Size: 64 << 10, Probes: []string{"{http,db}:*"}}},
		{in: "1GiB:x", want: agent.Flight{Size: 1 << 30, Probes: []string{"x"}}},
		{in: "off"},
		{in: "8MiB", err: "want SIZE:PROBES"},
		{in: "8MB:x", err: "whole number of KiB, MiB or GiB"},
		{in: "8 MiB:x", err: "whole number"},
		{in: "-1MiB:x", err: "whole number"},
		{in: "0MiB:x", err: "whole number"},
		{in: "2GiB:x", err: "whole number"},
		{in: "32KiB:x", err: "64 KiB to 1 GiB"},
		{in: "8MiB:", err: "empty probe pattern"},
		{in: "8MiB:a,,b", err: "empty probe pattern"},
		{in: "8MiB:{a", err: "flight recorder"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := agent.ParseFlight(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), agent.EnvFlight) {
					t.Fatalf("ParseFlight(%q) = %v, %v; want an error naming %s with %q", tt.in, got, err, agent.EnvFlight, tt.err)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("ParseFlight(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFlightBadConfigFailsListen(t *testing.T) {
	t.Run("env", func(t *testing.T) {
		t.Setenv(agent.EnvFlight, "8MB:request:*")
		if _, err := agent.Listen(agent.Options{RunDir: t.TempDir(), Logger: quiet}); err == nil || !strings.Contains(err.Error(), agent.EnvFlight) {
			t.Fatalf("Listen = %v, want an error about %s", err, agent.EnvFlight)
		}
	})
	t.Run("option", func(t *testing.T) {
		if _, err := agent.Listen(agent.Options{RunDir: t.TempDir(), Logger: quiet, Flight: agent.Flight{Size: 1 << 20}}); err == nil || !strings.Contains(err.Error(), "no probes") {
			t.Fatalf("Listen = %v, want an error about the missing probes", err)
		}
	})
}

// names lists the probe names of length-prefixed records.
func names(t *testing.T, recs []byte) []string {
	t.Helper()
	var out []string
	for len(recs) > 0 {
		rec, rest, err := protocol.NextRecord(recs)
		if err != nil {
			t.Fatal(err)
		}
		r, err := protocol.ParseRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(r.Name))
		recs = rest
	}
	return out
}

func TestFlightDump(t *testing.T) {
	a := start(t, agent.Options{Flight: agent.Flight{Size: 256 << 10, Probes: []string{"fl:req:*", "fl:db"}}})
	req, db, other := jstrace.NewProbe("fl:req:end"), jstrace.NewProbe("fl:db"), jstrace.NewProbe("fl:other")
	if !req.Enabled() || !db.Enabled() || other.Enabled() {
		t.Fatal("the recorder should enable exactly its probes")
	}
	const n = 20000 // far more than 256 KiB holds
	for i := range n {
		req.Emit("i", i, "path", "/x")
		db.Emit("i", i)
		other.Emit("i", i)
	}
	t.Run("all", func(t *testing.T) {
		head, recs, err := dial(t, a, "").Dump(&protocol.Dump{})
		if err != nil {
			t.Fatal(err)
		}
		got := names(t, recs)
		if uint64(len(got)) != head.Records || head.Written != 2*n || head.Size != 256<<10 || len(recs) > 256<<10 {
			t.Fatalf("header %+v for %d records of %d bytes", head, len(got), len(recs))
		}
		if got[len(got)-1] != "fl:db" || got[len(got)-2] != "fl:req:end" || strings.Contains(strings.Join(got, " "), "fl:other") {
			t.Fatalf("dump should end with the last req and db events, and hold no fl:other: ... %v", got[len(got)-4:])
		}
		if head.Overwritten == 0 || len(got) > n {
			t.Fatalf("the dump should hold only the newest events: %d records, %d overwritten", len(got), head.Overwritten)
		}
	})
	t.Run("pattern", func(t *testing.T) {
		_, recs, err := dial(t, a, "").Dump(&protocol.Dump{Patterns: []string{"fl:db"}})
		if err != nil {
			t.Fatal(err)
		}
		got := names(t, recs)
		if len(got) == 0 || strings.Contains(strings.Join(got, " "), "fl:req") {
			t.Fatalf("a dump of fl:db holds %v", got[:min(len(got), 5)])
		}
	})
	a.Close()
	if req.Enabled() {
		t.Fatal("the recorder outlived the agent")
	}
}

// The dump slot bounds the snapshots held, not the connections: once a
// dump is written, the next one is served even while the first CLI has
// yet to close its stream.
func TestFlightDumpsBackToBack(t *testing.T) {
	a := start(t, agent.Options{Flight: agent.Flight{Size: 64 << 10, Probes: []string{"fl2:*"}}})
	p := jstrace.NewProbe("fl2:x")
	for i := range 100 {
		p.Emit("i", i)
	}
	first := dial(t, a, "") // open until the test ends
	for i := range 3 {
		c := first
		if i > 0 {
			c = dial(t, a, "")
		}
		if _, recs, err := c.Dump(&protocol.Dump{}); err != nil || len(names(t, recs)) != 100 {
			t.Fatalf("dump %d: %v", i, err)
		}
	}
}

func TestFlightDumpWithoutRecorder(t *testing.T) {
	a := start(t, agent.Options{})
	_, _, err := dial(t, a, "").Dump(&protocol.Dump{})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeNoFlight || !strings.Contains(pe.Message, agent.EnvFlight) {
		t.Fatalf("Dump = %v, want Error(no flight recorder) naming %s", err, agent.EnvFlight)
	}
}

// A probe listing (and a dump) has a slot of its own: while one runs, for
// as long as its CLI takes, it holds none of the handshake slots that new
// connections need. With 15 idle connections holding the others, a CLI
// still gets in.
func TestListingHoldsNoHandshakeSlot(t *testing.T) {
	a := start(t, agent.Options{})
	listed := make(chan error, 1)
	go func() {
		_, _, err := dial(t, a, "").Probes(&protocol.ProbesRequest{Window: 3 * time.Second})
		listed <- err
	}()
	time.Sleep(300 * time.Millisecond) // the listing runs
	for range 15 {
		c, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // accepted, shaking hands
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.Addr().String(), client.Options{})
	if err != nil {
		t.Fatalf("a CLI beside a listing and 15 idle connections: %v", err)
	}
	c.Close()
	if err := <-listed; err != nil {
		t.Fatal(err)
	}
}
