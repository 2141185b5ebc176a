package jstracehttp_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// event is one probe firing as a subscriber saw it.
type event struct {
	name   string
	fields map[string]any
}

func (e event) String() string { return fmt.Sprintf("%s %v", e.name, e.fields) }

// recorder collects the events of probes under prefix, from any goroutine.
type recorder struct {
	mu     sync.Mutex
	events []event
}

// listen subscribes to every probe whose name starts with prefix until the
// test ends.
func listen(t *testing.T, prefix string) *recorder {
	t.Helper()
	rec := &recorder{}
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, prefix) }, func(e jstrace.Event) {
		r, err := protocol.ParseRecord(append([]byte(nil), e.Record()...))
		if err != nil {
			t.Errorf("record: %v", err)
			return
		}
		ev := event{name: string(r.Name), fields: map[string]any{}}
		for f := r.Fields; len(f) > 0; {
			k, v, rest, err := protocol.NextField(f)
			if err != nil {
				t.Errorf("field: %v", err)
				return
			}
			x, _, err := protocol.DecodeValue(v)
			if err != nil {
				t.Errorf("value: %v", err)
				return
			}
			ev.fields[string(k)] = x
			f = rest
		}
		rec.mu.Lock()
		rec.events = append(rec.events, ev)
		rec.mu.Unlock()
	})
	t.Cleanup(s.Close)
	return rec
}

// named returns the events called name, in order.
func (r *recorder) named(name string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

// names returns every event's name, in order.
func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.name)
	}
	return out
}

// one returns the only event called name, failing the test otherwise.
func (r *recorder) one(t *testing.T, name string) event {
	t.Helper()
	es := r.named(name)
	if len(es) != 1 {
		t.Fatalf("%d %s events, want 1; all: %v", len(es), name, r.names())
	}
	return es[0]
}

// check fails the test unless e's fields include want (compared as
// printed: decoded integers are int64, durations time.Duration).
func check(t *testing.T, e event, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got, ok := e.fields[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s: %s = %v (present %v), want %v", e.name, k, got, ok, v)
		}
	}
}

// serve starts a real server for h, closed when the test ends; its error
// log (panics net/http recovers) is discarded.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// get sends a GET with the given headers and returns the response with its
// body read.
func get(t *testing.T, srv *httptest.Server, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s body: %v", path, err)
	}
	return resp, string(b)
}
