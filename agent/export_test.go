package agent_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/export"
)

// spanRecorder is an exporter that keeps what it is given.
type spanRecorder struct {
	mu    sync.Mutex
	spans []*jstrace.SpanData
}

func (r *spanRecorder) ExportSpans(_ context.Context, s []*jstrace.SpanData) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, s...)
	return nil
}

func (r *spanRecorder) Shutdown(context.Context) error { return nil }

// resetTracing restores the process's default tracing after the test.
func resetTracing(t *testing.T) {
	jstrace.SetTracing(jstrace.TracingOptions{})
	t.Cleanup(func() { jstrace.SetTracing(jstrace.TracingOptions{}) })
}

// Options.Export runs without a CLI; spans are named after the title, and
// Shutdown flushes them.
func TestExportOption(t *testing.T) {
	resetTracing(t)
	t.Setenv(agent.EnvExporters, "")
	t.Setenv(agent.EnvService, "")
	t.Setenv(agent.EnvSampler, "")
	r := &spanRecorder{}
	a := start(t, agent.Options{Title: "shop", Export: export.Options{Exporters: []export.Exporter{r}, Interval: time.Hour}})
	_, s := jstrace.StartSpan(context.Background(), "checkout")
	s.End()
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.spans) != 1 || r.spans[0].Operation != "checkout" || r.spans[0].Resource.Service != "shop" {
		t.Fatalf("exported %+v, want checkout of shop", r.spans)
	}
	if st := a.ExportStats(); st.Exported != 1 {
		t.Errorf("stats %+v", st)
	}
}

// $JSTRACE_EXPORTERS, $JSTRACE_SERVICE and $JSTRACE_SAMPLER configure
// export without code.
func TestExportEnv(t *testing.T) {
	resetTracing(t)
	t.Setenv(agent.EnvExporters, "event")
	t.Setenv(agent.EnvService, "payments")
	t.Setenv(agent.EnvSampler, "rate:1000")
	var (
		mu       sync.Mutex
		services []string
	)
	stop, err := jstrace.On("span:export", func(e jstrace.Event) {
		kv, _ := e.Args()
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "service" {
				mu.Lock()
				services = append(services, strings.Clone(kv[i+1].(string)))
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	a := start(t, agent.Options{Title: "shop"})
	if s := jstrace.Tracing(); s.Service != "payments" || s.Sampler == nil || !strings.HasPrefix(s.Sampler.(interface{ String() string }).String(), "RateLimit(1000)") {
		t.Errorf("tracing %+v", s)
	}
	_, s := jstrace.StartSpan(context.Background(), "charge")
	s.End()
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(services) != 1 || services[0] != "payments" {
		t.Errorf("span:export services %q", services)
	}
}

// Bad variables are logged, never fatal; the exporters that can run do.
func TestExportEnvErrors(t *testing.T) {
	resetTracing(t)
	t.Setenv(agent.EnvExporters, "otlp,nonsense,event")
	t.Setenv(agent.EnvSampler, "sometimes")
	t.Setenv(agent.EnvService, "")
	var log syncBuffer
	a := start(t, agent.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	out := log.String()
	for _, want := range []string{
		`msg="sampler not set"`, "JSTRACE_SAMPLER",
		`msg="span exporters not started"`, `import _ \"github.com/jstrace-go/jstrace/otel\"`, `unknown exporter \"nonsense\"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if jstrace.Tracing().Sampler.(interface{ String() string }).String() != "AlwaysSample" {
		t.Error("a bad sampler changed the sampler")
	}
	_, s := jstrace.StartSpan(context.Background(), "op")
	if !s.IsRecording() {
		t.Error("event exporter not running")
	}
	s.End()
	a.Close()
	_, s = jstrace.StartSpan(context.Background(), "op")
	if s.IsRecording() {
		t.Error("export still running after Close")
	}
	s.End()
}

// Without exporters, the agent records no span.
func TestNoExport(t *testing.T) {
	resetTracing(t)
	t.Setenv(agent.EnvExporters, "")
	start(t, agent.Options{Title: "quiet"})
	_, s := jstrace.StartSpan(context.Background(), "op")
	defer s.End()
	if s.IsRecording() {
		t.Error("span records with no exporter")
	}
	if jstrace.Tracing().Service != "quiet" {
		t.Errorf("service %q, want the title", jstrace.Tracing().Service)
	}
}
