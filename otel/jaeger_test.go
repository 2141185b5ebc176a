package otel_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/otel"
)

// jaeger is a real Jaeger v2 started by tools/jaeger.sh.
type jaeger struct {
	otlp, zipkin, query string
}

// startJaeger builds Jaeger if it is not cached (minutes, once), starts it
// on free loopback ports, and stops it when the test ends.
func startJaeger(t *testing.T) *jaeger {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer cancel()
	}
	dir := t.TempDir()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "bash", "../tools/jaeger.sh", "start", dir)
	cmd.Env = append(os.Environ(), "JAEGER_WATCH_PID="+strconv.Itoa(os.Getpid()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tools/jaeger.sh start: %v (if the build ran out of the test's time, run tools/jaeger.sh build first)\n%s", err, stderr.Bytes())
	}
	t.Logf("jaeger up in %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if out, err := exec.Command("bash", "../tools/jaeger.sh", "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("tools/jaeger.sh stop: %v\n%s", err, out)
		}
	})
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	j := &jaeger{otlp: env["JAEGER_OTLP_ENDPOINT"], zipkin: env["JAEGER_ZIPKIN_ENDPOINT"], query: env["JAEGER_QUERY_URL"]}
	if j.otlp == "" || j.zipkin == "" || j.query == "" {
		t.Fatalf("tools/jaeger.sh start printed %q", out)
	}
	return j
}

// jaegerKV is a tag or log field in Jaeger's query API.
type jaegerKV struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Tags []jaegerKV `json:"tags"`
	Logs []struct {
		Fields []jaegerKV `json:"fields"`
	} `json:"logs"`
	ProcessID string `json:"processID"`
}

type jaegerTrace struct {
	Spans     []jaegerSpan `json:"spans"`
	Processes map[string]struct {
		ServiceName string     `json:"serviceName"`
		Tags        []jaegerKV `json:"tags"`
	} `json:"processes"`
}

// trace polls Jaeger's query API until the trace has n spans.
func (j *jaeger) trace(t *testing.T, id jstrace.TraceID, n int) jaegerTrace {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(j.query + "/api/traces/" + id.String())
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Data []jaegerTrace `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		last = fmt.Sprintf("status %d, %v, %+v", resp.StatusCode, err, body)
		if err == nil && len(body.Data) == 1 && len(body.Data[0].Spans) >= n {
			return body.Data[0]
		}
	}
	t.Fatalf("trace %s did not reach Jaeger with %d spans: %s", id, n, last)
	return jaegerTrace{}
}

func tag(kvs []jaegerKV, key string) (string, bool) {
	if v := tagValues(kvs, key); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// tagValues returns the values of every tag called key (Zipkin's "error"
// tag holds the message, and Jaeger adds error=true beside it).
func tagValues(kvs []jaegerKV, key string) []string {
	var out []string
	for _, kv := range kvs {
		if kv.Key == key {
			out = append(out, fmt.Sprint(kv.Value))
		}
	}
	return out
}

// TestJaeger exports a trace through both exporters to a real Jaeger and
// reads it back from Jaeger's query API.
func TestJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Jaeger")
	}
	j := startJaeger(t)
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	exporters := []struct {
		name string
		new  func() (export.Exporter, error)
	}{
		{"otlp", func() (export.Exporter, error) {
			return otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: j.otlp, Headers: map[string]string{"X-Test": "1"}})
		}},
		{"zipkin", func() (export.Exporter, error) { return otel.NewZipkin(otel.ZipkinOptions{Endpoint: j.zipkin}) }},
	}
	for _, e := range exporters {
		t.Run(e.name, func(t *testing.T) {
			service := "jstrace-" + e.name + "-" + run
			spans := testTrace(t, service)
			exp, err := e.new()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Fatal(err)
			}
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := j.trace(t, spans[0].TraceID, len(spans))
			t.Logf("exported and queried in %v", time.Since(start).Round(time.Millisecond))
			checkJaegerTrace(t, got, spans, service, e.name)
		})
	}
}

func checkJaegerTrace(t *testing.T, got jaegerTrace, spans []*jstrace.SpanData, service, via string) {
	t.Helper()
	byID := map[string]jaegerSpan{}
	for _, s := range got.Spans {
		byID[s.SpanID] = s
	}
	if len(got.Spans) != len(spans) {
		t.Errorf("%d spans, want %d", len(got.Spans), len(spans))
	}
	for _, d := range spans {
		s, ok := byID[d.SpanID.String()]
		if !ok {
			t.Errorf("span %s (%s) missing", d.SpanID, d.Operation)
			continue
		}
		if s.TraceID != d.TraceID.String() || !strings.EqualFold(s.OperationName, d.Operation) {
			t.Errorf("span %s: trace %s operation %q, want %s %q", d.SpanID, s.TraceID, s.OperationName, d.TraceID, d.Operation)
		}
		if len(s.References) != 1 || s.References[0].RefType != "CHILD_OF" || s.References[0].SpanID != d.ParentID.String() ||
			s.References[0].TraceID != d.TraceID.String() {
			t.Errorf("span %s (%s): references %+v, want CHILD_OF %s", d.SpanID, d.Operation, s.References, d.ParentID)
		}
		if p := got.Processes[s.ProcessID]; p.ServiceName != service {
			t.Errorf("span %s: service %q, want %q", d.SpanID, p.ServiceName, service)
		}
	}
	root, db, pay := byID[spans[0].SpanID.String()], byID[spans[1].SpanID.String()], byID[spans[2].SpanID.String()]
	for k, want := range map[string]string{"http.method": "GET", "http.status_code": "502", "cached": "false", "ratio": "0.25", "span.kind": "server"} {
		if v, _ := tag(root.Tags, k); v != want {
			t.Errorf("root tag %s = %q, want %q (tags %v)", k, v, want, root.Tags)
		}
	}
	if v := tagValues(pay.Tags, "error"); !slices.Contains(v, "true") {
		t.Errorf("failed span: error tags %q, want true (tags %v)", v, pay.Tags)
	}
	if v, _ := tag(pay.Tags, "error.code"); v != "E42" {
		t.Errorf("failed span: error.code %q (tags %v)", v, pay.Tags)
	}
	if v, _ := tag(pay.Tags, "span.kind"); v != "client" {
		t.Errorf("failed span: span.kind %q (tags %v)", v, pay.Tags)
	}
	if v := tagValues(root.Tags, "error"); len(v) > 0 {
		t.Errorf("root marked failed: %v", root.Tags)
	}
	if len(db.Logs) != 1 {
		t.Fatalf("db span logs %+v, want one", db.Logs)
	}
	logText := fmt.Sprint(db.Logs[0].Fields)
	if !strings.Contains(logText, "query done") {
		t.Errorf("db span log %s, want the message", logText)
	}
	p := got.Processes[root.ProcessID]
	if via == "otlp" {
		for k, want := range map[string]string{"service.version": "1.2.3", "region": "eu-1", "shard": "7"} {
			if v, _ := tag(p.Tags, k); v != want {
				t.Errorf("process tag %s = %q, want %q (tags %v)", k, v, want, p.Tags)
			}
		}
		if v, _ := tag(pay.Tags, "otel.status_description"); v != "charge: card declined" {
			t.Errorf("failed span: status description %q (tags %v)", v, pay.Tags)
		}
		if len(pay.Logs) != 1 || !strings.Contains(fmt.Sprint(pay.Logs[0].Fields), "exception.stacktrace") {
			t.Errorf("failed span: logs %+v, want the exception event", pay.Logs)
		}
		if v, _ := tag(db.Logs[0].Fields, "rows"); v != "3" {
			t.Errorf("db span log fields %v, want rows=3", db.Logs[0].Fields)
		}
	} else if v := tagValues(pay.Tags, "error"); !slices.Contains(v, "charge: card declined") {
		t.Errorf("failed span: error tags %q, want the message (Zipkin's error tag)", v)
	}
}
