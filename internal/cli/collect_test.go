package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

func TestCollectFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  string // $JSTRACE_STORE
		args []string
		want CollectOptions
	}{
		{"listen", "", []string{"--listen", "127.0.0.1:4319"}, CollectOptions{Listen: "127.0.0.1:4319", ReportEvery: defaultReportEvery}},
		{"store from the environment", "redis://r:6379/1", []string{"-t", "api*"},
			CollectOptions{Store: "redis://r:6379/1", ReportEvery: defaultReportEvery, ConnectOptions: ConnectOptions{Title: "api*"}, selected: true}},
		{"store flag wins", "env.db", []string{"--store", "flag.db", "-p", "7", "--retention", "2h", "--duration", "1m", "-v", "--http", "127.0.0.1:8080"},
			CollectOptions{Store: "flag.db", Retention: 2 * time.Hour, Duration: time.Minute, Verbose: true, HTTP: "127.0.0.1:8080",
				ReportEvery: defaultReportEvery, ConnectOptions: ConnectOptions{PID: 7}, selected: true}},
		{"agents", "", []string{"--agents", "a:1", "--report-every", "1s"},
			CollectOptions{ReportEvery: time.Second, ConnectOptions: ConnectOptions{Agents: []string{"a:1"}}, selected: true}},
		{"nothing selected", "", nil, CollectOptions{ReportEvery: defaultReportEvery}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(collectStoreEnv, tt.env)
			got, code := parse(t, NewCmdCollect, tt.args...)
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// collectFakeStore keeps spans in memory; its first fail Puts fail.
type collectFakeStore struct {
	mu     sync.Mutex
	spans  map[string]tracestore.Span
	fail   int
	closed bool
}

func (s *collectFakeStore) Put(_ context.Context, spans []tracestore.Span) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("store: connection refused")
	}
	for _, sp := range spans {
		s.spans[sp.TraceID+sp.SpanID] = sp
	}
	return nil
}
func (s *collectFakeStore) Trace(context.Context, string) ([]tracestore.Span, error) { return nil, nil }
func (s *collectFakeStore) Slow(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *collectFakeStore) Errors(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *collectFakeStore) Recent(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *collectFakeStore) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

// useCollectFakeStore makes collect open st, and records where it was asked to.
func useCollectFakeStore(t *testing.T, st *collectFakeStore) *string {
	var where string
	old := openCollectStore
	openCollectStore = func(_ context.Context, w string, _ tracestore.Options) (tracestore.Store, error) {
		where = w
		return st, nil
	}
	t.Cleanup(func() { openCollectStore = old })
	return &where
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var receivingRE = regexp.MustCompile(`receiving spans at (http://\S+)/v1/spans`)

// TestCollectListen runs collect --listen in this process: the spans
// posted are stored, bad ones counted, the report printed, and at the end
// what is queued flushed, the store closed.
func TestCollectListen(t *testing.T) {
	clearEnv(t)
	st := &collectFakeStore{spans: map[string]tracestore.Span{}, fail: 2}
	where := useCollectFakeStore(t, st)
	t.Setenv(collectStoreEnv, "redis://user:s3cret@127.0.0.1:6379/0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, []string{"collect", "--listen", "127.0.0.1:0", "--report-every", "100ms"}, &stdout, &stderr)
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := receivingRE.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("collect did not listen:\n%s", stderr.String())
		}
	}
	body := "{\"jstrace_spans\":1}\n" +
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","service":"a","operation":"x","start":"2026-11-30T12:00:00Z","duration_ns":5}` + "\n" +
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"b7ad6b7169203331","parent_id":"00f067aa0ba902b7","service":"b","operation":"y","start":"2026-11-30T12:00:00Z","duration_ns":2}` + "\n" +
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"NOT-HEX","service":"b","operation":"y","start":"2026-11-30T12:00:00Z","duration_ns":2}` + "\n"
	resp, err := http.Post(url+"/v1/spans", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(answer), `"accepted":2,"rejected":1`) {
		t.Fatalf("answer %d %s", resp.StatusCode, answer)
	}
	// The store fails twice, then takes them: the report says both.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "stored 2 spans"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no report of the 2 spans stored:\n%s", stderr.String())
		}
	}
	cancel()
	if c := <-code; c != ExitOK {
		t.Errorf("exit %d\n%s", c, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{
		`(?m)^jstrace: last 100ms: stored \d spans \(\d traces\), rejected 1, dropped 0 \(bad span_id: 1\)$`,
		`(?m)^jstrace: store redis://user:xxxxx@127.0.0.1:6379/0 failing, retrying \(2 spans waiting\): store: connection refused$`,
		`(?m)^jstrace: last 100ms: stored 2 spans \(1 traces\), rejected \d, dropped 0`,
		`(?m)^jstrace: collected in \d+s: stored 2 spans \(1 traces\), rejected 1, dropped 0 \(bad span_id: 1\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("stderr lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("stderr shows the store's password:\n%s", out)
	}
	if *where != "redis://user:s3cret@127.0.0.1:6379/0" || len(st.spans) != 2 || !st.closed {
		t.Errorf("store %q: %d spans, closed %v", *where, len(st.spans), st.closed)
	}
}

func TestCollectRefuses(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"collect"}, ExitUsage, "nothing to collect from"},
		{[]string{"collect", "--listen", "127.0.0.1:0", "--retention", "-1h"}, ExitUsage, "--retention must not be negative"},
		{[]string{"collect", "--listen", "no-port"}, ExitError, "--listen: "},
		{[]string{"collect", "-t", "{bad"}, ExitUsage, "-t: "},
		{[]string{"collect", "extra"}, ExitUsage, "unknown command"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			clearEnv(t)
			useCollectFakeStore(t, &collectFakeStore{spans: map[string]tracestore.Span{}})
			// A command that runs instead of failing ends with ctx.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := Run(ctx, tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.msg, stderr.String())
			}
		})
	}
}

// A store that cannot be opened is an error that names it without its
// password.
func TestCollectStoreError(t *testing.T) {
	clearEnv(t)
	old := openCollectStore
	defer func() { openCollectStore = old }()
	openCollectStore = func(context.Context, string, tracestore.Options) (tracestore.Store, error) {
		return nil, fmt.Errorf("dial: connection refused")
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"collect", "--listen", "127.0.0.1:0", "--store", "redis://:s3cret@127.0.0.1:1"}, &stdout, &stderr)
	if code != ExitStore || !strings.Contains(stderr.String(), "open store redis://:xxxxx@127.0.0.1:1: dial: connection refused") || strings.Contains(stderr.String(), "s3cret") {
		t.Errorf("exit %d:\n%s", code, stderr.String())
	}
}

// $JSTRACE_STORE (a Redis password) never appears in collect's help or
// usage errors.
func TestCollectStoreNeverShown(t *testing.T) {
	clearEnv(t)
	t.Setenv(collectStoreEnv, "redis://:s3cret-0451@127.0.0.1:6379")
	for _, args := range [][]string{{"collect", "--help"}, {"help", "collect"}, {"collect"}, {"collect", "--no-such-flag"}} {
		var stdout, stderr bytes.Buffer
		Run(context.Background(), args, &stdout, &stderr)
		if got := stdout.String() + stderr.String(); got == "" || strings.Contains(got, "0451") {
			t.Errorf("%q printed %q", args, got)
		}
	}
}

var pageRE = regexp.MustCompile(`web page of the stored traces at (http://\S+)/`)

// With a web page linked in, --http serves it over the store collect
// writes, alone or beside --listen.
func TestCollectHTTP(t *testing.T) {
	clearEnv(t)
	st := &collectFakeStore{spans: map[string]tracestore.Span{}}
	useCollectFakeStore(t, st)
	old := pageHandler
	t.Cleanup(func() { pageHandler = old })
	pageHandler = func(s tracestore.Store, _ net.Addr) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "page of the same store: %v", s == st)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	code := make(chan int, 1)
	go func() { code <- Run(ctx, []string{"collect", "--http", "127.0.0.1:0"}, &stdout, &stderr) }()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := pageRE.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no web page:\n%s", stderr.String())
		}
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "page of the same store: true" {
		t.Errorf("page %q", b)
	}
	cancel()
	if c := <-code; c != ExitOK {
		t.Errorf("exit %d\n%s", c, stderr.String())
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Error("the page is still served after collect returned")
	}
}
