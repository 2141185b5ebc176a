package agent_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/testcerts"
)

// records is a slog.Handler that keeps every record, with the attributes
// of its logger.
type records struct {
	mu    sync.Mutex
	all   *[]slog.Record
	attrs []slog.Attr
}

func newRecords() *records { return &records{all: new([]slog.Record)} }

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) WithAttrs(as []slog.Attr) slog.Handler {
	return &records{all: h.all, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *records) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	recordsMu.Lock()
	*h.all = append(*h.all, r)
	recordsMu.Unlock()
	return nil
}

var recordsMu sync.Mutex // the handlers WithAttrs derives share their slice

func (h *records) get() []slog.Record {
	recordsMu.Lock()
	defer recordsMu.Unlock()
	return append([]slog.Record(nil), *h.all...)
}

// A message is constant, short and lowercase: what varies is in attributes.
var constantMessage = regexp.MustCompile(`^[a-z][a-z ]*[a-z]$`)

// A port scanner's failed TLS handshakes and a plain-TCP client are no
// news for the operator: Debug records with a constant message, tagged
// component=jstrace, and nothing at Warn or above.
func TestConnectionFailuresLogAtDebug(t *testing.T) {
	cs := testcerts.New()
	recs := newRecords()
	a := start(t, agent.Options{
		Logger:      slog.New(recs),
		NoDiscovery: true,
		TLS:         &tls.Config{Certificates: []tls.Certificate{cs.Server}},
	})
	for _, hello := range []string{"JSTR\x01 not a TLS hello", "\x16\x03\x01\x00\x05hello"} {
		c, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(hello))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				break // the agent closed the connection
			}
		}
		c.Close()
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range recs.get() {
		if !constantMessage.MatchString(r.Message) {
			t.Errorf("message %q is not a short constant", r.Message)
		}
		if r.Level >= slog.LevelWarn {
			t.Errorf("%v %q: a bad client is no news for the operator", r.Level, r.Message)
		}
		component := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "component" {
				component = a.Value.String()
			}
			return true
		})
		if component != "jstrace" {
			t.Errorf("%q: component %q", r.Message, component)
		}
		if r.Message == "tls handshake failed" && r.Level == slog.LevelDebug {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d Debug records of failed TLS handshakes, want 2; records:", failed)
		for _, r := range recs.get() {
			t.Logf("%v %q", r.Level, r.Message)
		}
	}
}
