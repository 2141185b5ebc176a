package otel_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/otel"
)

// request is what a fake backend received.
type request struct {
	path   string
	header http.Header
	body   []byte
}

// backend is a fake OTLP or Zipkin receiver answering status.
type backend struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newBackend(t *testing.T, status int) *backend {
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, "bad gzip", http.StatusBadRequest)
				return
			}
			rd = zr
		}
		body, _ := io.ReadAll(rd)
		b.mu.Lock()
		b.reqs = append(b.reqs, request{r.URL.Path, r.Header.Clone(), body})
		b.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) requests() []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]request(nil), b.reqs...)
}

// otlpSpans decodes an OTLP/HTTP protobuf request into span IDs by name.
func otlpSpans(t *testing.T, body []byte) (service string, ids map[string]string) {
	t.Helper()
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		t.Fatalf("not an OTLP request: %v", err)
	}
	ids = map[string]string{}
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.Resource.Attributes {
			if kv.Key == "service.name" {
				service = kv.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				ids[s.Name] = hex.EncodeToString(s.TraceId) + "/" + hex.EncodeToString(s.SpanId) + "/" + hex.EncodeToString(s.ParentSpanId)
			}
		}
	}
	return service, ids
}

func idsOf(d *jstrace.SpanData) string {
	p := ""
	if d.ParentID.IsValid() {
		p = d.ParentID.String()
	}
	return d.TraceID.String() + "/" + d.SpanID.String() + "/" + p
}

func TestOTLP(t *testing.T) {
	spans := testTrace(t, "otlp-svc")
	tests := []struct {
		name     string
		endpoint func(b *backend) string // "" for the environment
		opts     otel.OTLPOptions
		path     string
	}{
		{"base URL gets /v1/traces", func(b *backend) string { return b.URL }, otel.OTLPOptions{}, "/v1/traces"},
		{"slash gets /v1/traces", func(b *backend) string { return b.URL + "/" }, otel.OTLPOptions{}, "/v1/traces"},
		{"own path kept", func(b *backend) string { return b.URL + "/otlp/v1/traces" }, otel.OTLPOptions{}, "/otlp/v1/traces"},
		{"from JSTRACE_OTLP_ENDPOINT", nil, otel.OTLPOptions{}, "/v1/traces"},
		{"headers and gzip", func(b *backend) string { return b.URL }, otel.OTLPOptions{Headers: map[string]string{"X-Api-Key": "k1"}, Gzip: true}, "/v1/traces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, http.StatusOK)
			o := tt.opts
			if tt.endpoint == nil {
				t.Setenv("JSTRACE_OTLP_ENDPOINT", b.URL)
			} else {
				o.Endpoint = tt.endpoint(b)
			}
			exp, err := otel.NewOTLP(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Fatal(err)
			}
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := b.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.path != tt.path || r.header.Get("Content-Type") != "application/x-protobuf" {
				t.Errorf("path %q content type %q, want %q protobuf", r.path, r.header.Get("Content-Type"), tt.path)
			}
			for k, v := range o.Headers {
				if r.header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, r.header.Get(k), v)
				}
			}
			if gz := r.header.Get("Content-Encoding") == "gzip"; gz != o.Gzip {
				t.Errorf("gzip %v, want %v", gz, o.Gzip)
			}
			svc, ids := otlpSpans(t, r.body)
			if svc != "otlp-svc" || len(ids) != 3 {
				t.Fatalf("service %q, spans %v", svc, ids)
			}
			for _, d := range spans {
				if ids[d.Operation] != idsOf(d) {
					t.Errorf("%s: sent %s, want %s", d.Operation, ids[d.Operation], idsOf(d))
				}
			}
		})
	}
}

// zipkinSpan is the part of Zipkin's v2 JSON model the tests read.
type zipkinSpan struct {
	TraceID       string            `json:"traceId"`
	ID            string            `json:"id"`
	ParentID      string            `json:"parentId"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Tags          map[string]string `json:"tags"`
	LocalEndpoint struct {
		ServiceName string `json:"serviceName"`
	} `json:"localEndpoint"`
	Annotations []struct {
		Value string `json:"value"`
	} `json:"annotations"`
}

func TestZipkin(t *testing.T) {
	spans := testTrace(t, "zipkin-svc")
	for _, fromEnv := range []bool{false, true} {
		t.Run(map[bool]string{false: "option", true: "JSTRACE_ZIPKIN_ENDPOINT"}[fromEnv], func(t *testing.T) {
			b := newBackend(t, http.StatusAccepted)
			o := otel.ZipkinOptions{Headers: map[string]string{"Authorization": "Bearer t0ken"}}
			if fromEnv {
				t.Setenv("JSTRACE_ZIPKIN_ENDPOINT", b.URL+"/api/v2/spans")
			} else {
				o.Endpoint = b.URL + "/api/v2/spans"
			}
			exp, err := otel.NewZipkin(o)
			if err != nil {
				t.Fatal(err)
			}
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Fatal(err)
			}
			reqs := b.requests()
			if len(reqs) != 1 || reqs[0].path != "/api/v2/spans" || reqs[0].header.Get("Authorization") != "Bearer t0ken" {
				t.Fatalf("requests %+v", reqs)
			}
			var got []zipkinSpan
			if err := json.Unmarshal(reqs[0].body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("%d spans", len(got))
			}
			for i, d := range spans {
				z := got[i]
				if z.TraceID+"/"+z.ID+"/"+z.ParentID != idsOf(d) || z.Name != strings.ToLower(d.Operation) || z.LocalEndpoint.ServiceName != "zipkin-svc" {
					t.Errorf("span %d = %+v, want %s %s", i, z, idsOf(d), d.Operation)
				}
			}
			// Zipkin lowercases names.
			if got[0].Kind != "SERVER" || got[2].Kind != "CLIENT" || got[0].Tags["http.status_code"] != "502" {
				t.Errorf("kinds %q %q, tags %v", got[0].Kind, got[2].Kind, got[0].Tags)
			}
			if got[2].Tags["error"] != "charge: card declined" || got[2].Tags["error.code"] != "E42" {
				t.Errorf("error tags %v", got[2].Tags)
			}
			if len(got[1].Annotations) != 1 || got[1].Annotations[0].Value != `query done: {"rows":3,"table":"orders"}` {
				t.Errorf("log annotations %+v", got[1].Annotations)
			}
		})
	}
}

func TestBadEndpoints(t *testing.T) {
	for _, ep := range []string{"ftp://sekret@host/x", "http://", "sekret", "http://user:sekret@[::1", "://sekret"} {
		t.Run(ep, func(t *testing.T) {
			_, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: ep})
			_, zerr := otel.NewZipkin(otel.ZipkinOptions{Endpoint: ep})
			for _, err := range []error{err, zerr} {
				if err == nil || strings.Contains(err.Error(), "sekret") {
					t.Errorf("error %v: want one that does not quote the endpoint", err)
				}
			}
		})
	}
}

// hang listens and accepts, never answering: a dead backend.
func hang(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestDeadBackendTimesOutWithoutSecrets(t *testing.T) {
	spans := testTrace(t, "dead-svc")
	addr := hang(t)
	otlp, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{
		Endpoint: "http://user:sekret1@" + addr + "/v1/traces?token=sekret2",
		Headers:  map[string]string{"Authorization": "Bearer sekret3"},
		Timeout:  300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	zip, err := otel.NewZipkin(otel.ZipkinOptions{
		Endpoint: "http://user:sekret1@" + addr + "/api/v2/spans?token=sekret2",
		Headers:  map[string]string{"Authorization": "Bearer sekret3"},
		Timeout:  300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, exp := range map[string]export.Exporter{"otlp": otlp, "zipkin": zip} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := exp.ExportSpans(context.Background(), spans)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("export took %v past a 300ms timeout", d)
			}
			if err == nil || strings.Contains(err.Error(), "sekret") || !strings.HasPrefix(err.Error(), name+": ") {
				t.Errorf("error %q: want one, prefixed %q, without secrets", err, name)
			}
			t.Log(err)
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := exp.ExportSpans(context.Background(), spans); err == nil || !strings.Contains(err.Error(), "shut down") {
				t.Errorf("export after shutdown: %v", err)
			}
		})
	}
}

// An export gives up at its caller's deadline too (the pipeline's), not
// only at its own timeout.
func TestDeadBackendCallerDeadline(t *testing.T) {
	spans := testTrace(t, "deadline-svc")
	addr := hang(t)
	otlp, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	zip, err := otel.NewZipkin(otel.ZipkinOptions{Endpoint: "http://" + addr + "/api/v2/spans"})
	if err != nil {
		t.Fatal(err)
	}
	for name, exp := range map[string]export.Exporter{"otlp": otlp, "zipkin": zip} {
		t.Run(name, func(t *testing.T) {
			defer exp.Shutdown(context.Background())
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			if err := exp.ExportSpans(ctx, spans); err == nil {
				t.Error("export to a dead backend succeeded")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("export took %v past its caller's 200ms deadline", d)
			}
		})
	}
}

func TestBackendErrors(t *testing.T) {
	spans := testTrace(t, "err-svc")
	b := newBackend(t, http.StatusBadRequest)
	otlp, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: b.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer otlp.Shutdown(context.Background())
	zip, err := otel.NewZipkin(otel.ZipkinOptions{Endpoint: b.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer zip.Shutdown(context.Background())
	for name, exp := range map[string]export.Exporter{"otlp": otlp, "zipkin": zip} {
		if err := exp.ExportSpans(context.Background(), spans); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: error %v, want the status", name, err)
		}
		if err := exp.ExportSpans(context.Background(), nil); err != nil {
			t.Errorf("%s: nothing to export: %v", name, err)
		}
	}
	if n := len(b.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (a 400 is not retried, nothing is not sent)", n)
	}
}

func TestRegistered(t *testing.T) {
	b := newBackend(t, http.StatusOK)
	t.Setenv("JSTRACE_OTLP_ENDPOINT", b.URL)
	t.Setenv("JSTRACE_ZIPKIN_ENDPOINT", "http://user:sekret@")
	if got := export.Registered(); !slices.Contains(got, "otlp") || !slices.Contains(got, "zipkin") {
		t.Fatalf("registered: %v", got)
	}
	exps, err := export.Named("otlp")
	if err != nil || len(exps) != 1 {
		t.Fatalf("Named(otlp) = %v, %v", exps, err)
	}
	if err := exps[0].ExportSpans(context.Background(), testTrace(t, "reg-svc")); err != nil || len(b.requests()) != 1 {
		t.Errorf("export: %v, %d requests", err, len(b.requests()))
	}
	exps[0].Shutdown(context.Background())
	exps, err = export.Named("zipkin")
	if len(exps) != 0 || err == nil || strings.Contains(err.Error(), "sekret") {
		t.Errorf("bad JSTRACE_ZIPKIN_ENDPOINT: %v, %v; want no exporter and an error without the secret", exps, err)
	}
}
