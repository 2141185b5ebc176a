package export_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder keeps what it is given.
type recorder struct {
	mu       sync.Mutex
	spans    []*jstrace.SpanData
	calls    int
	shutdown int
	got      chan struct{} // signalled after each call
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1)} }

func (r *recorder) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.calls++
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) Shutdown(context.Context) error {
	r.mu.Lock()
	r.shutdown++
	r.mu.Unlock()
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

// waitFor waits until r holds n spans.
func (r *recorder) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for r.count() < n {
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d spans exported, want %d", r.count(), n)
		}
	}
}

// blocker blocks every export until released (or its context ends, if
// honour).
type blocker struct {
	once    sync.Once
	release chan struct{}
	honour  bool
	entered chan struct{}
}

func newBlocker(honour bool) *blocker {
	return &blocker{release: make(chan struct{}), honour: honour, entered: make(chan struct{}, 100)}
}

func (b *blocker) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	if b.honour {
		select {
		case <-b.release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	<-b.release
	return nil
}

func (b *blocker) Shutdown(context.Context) error { return nil }

func (b *blocker) unblock() { b.once.Do(func() { close(b.release) }) }

type failing struct{ panics bool }

func (f failing) ExportSpans(context.Context, []*jstrace.SpanData) error {
	if f.panics {
		panic("boom")
	}
	return errors.New("backend unreachable")
}

func (failing) Shutdown(context.Context) error { return errors.New("shutdown failed") }

// logBuffer is a slog handler's writer, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	var b logBuffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func start(t *testing.T, o export.Options) *export.Pipeline {
	t.Helper()
	jstrace.SetTracing(jstrace.TracingOptions{Service: "svc"})
	p, err := export.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return p
}

func spans(n int) {
	for range n {
		_, s := jstrace.StartSpan(context.Background(), "op")
		s.End()
	}
}

func TestExportsEverySpan(t *testing.T) {
	r := newRecorder()
	p := start(t, export.Options{Exporters: []export.Exporter{r}, Interval: 5 * time.Millisecond, BatchSize: 7})
	ctx, root := jstrace.StartSpan(context.Background(), "root")
	_, child := jstrace.StartSpan(ctx, "child", "k", "v")
	child.End()
	root.End()
	spans(98)
	r.waitFor(t, 100)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st != (export.Stats{Exported: 100}) {
		t.Errorf("stats %+v, want 100 exported", st)
	}
	if r.spans[0].Operation != "child" || r.spans[1].Operation != "root" || r.spans[0].ParentID != r.spans[1].SpanID {
		t.Errorf("first spans %+v %+v", r.spans[0], r.spans[1])
	}
	if r.calls < 100/7 {
		t.Errorf("%d calls for 100 spans in batches of 7", r.calls)
	}
	if r.shutdown != 1 {
		t.Errorf("exporter shut down %d times", r.shutdown)
	}
	// Stopped: spans no longer record, nor reach the exporter.
	_, s := jstrace.StartSpan(context.Background(), "after")
	if s.IsRecording() {
		t.Error("span records after Shutdown")
	}
	s.End()
	if r.count() != 100 {
		t.Errorf("%d spans after Shutdown", r.count())
	}
}

// Shutdown exports what is queued, without waiting for Interval.
func TestShutdownFlushes(t *testing.T) {
	r := newRecorder()
	p := start(t, export.Options{Exporters: []export.Exporter{r}, Interval: time.Hour})
	spans(300)
	if n := r.count(); n != 0 {
		t.Fatalf("%d spans exported before the interval", n)
	}
	if st := p.Stats(); st.Queued != 300 {
		t.Errorf("queued %d, want 300", st.Queued)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.count() != 300 || p.Stats().Exported != 300 {
		t.Errorf("%d spans exported at shutdown (%+v), want 300", r.count(), p.Stats())
	}
}

// A full batch is exported at once.
func TestFullBatchExportsAtOnce(t *testing.T) {
	r := newRecorder()
	start(t, export.Options{Exporters: []export.Exporter{r}, Interval: time.Hour, BatchSize: 10})
	spans(10)
	r.waitFor(t, 10)
}

// A stuck exporter never blocks End, and never holds up another
// exporter; what its queue cannot take is dropped, counted and logged.
func TestSlowExporterNeverBlocks(t *testing.T) {
	slow, fast := newBlocker(false), newRecorder()
	log, logs := newLog()
	p := start(t, export.Options{
		Exporters: []export.Exporter{slow, fast},
		QueueSize: 16, BatchSize: 8, Interval: 10 * time.Millisecond, Logger: log,
	})
	t.Cleanup(slow.unblock)
	var worst time.Duration
	for i := 1; i <= 10; i++ {
		for range 8 {
			_, s := jstrace.StartSpan(context.Background(), "op")
			t0 := time.Now()
			s.End()
			worst = max(worst, time.Since(t0))
		}
		fast.waitFor(t, 8*i)
	}
	if worst > 100*time.Millisecond {
		t.Errorf("End took %v", worst)
	}
	st := p.Stats()
	// The slow exporter took one batch (1 to 16 spans, on a tick or a
	// full batch) and holds 16: the rest of 80 is dropped.
	if st.Dropped < 80-32 || st.Dropped > 80-17 {
		t.Errorf("dropped %d, want 48 to 63", st.Dropped)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "span export queue full") {
		if time.Now().After(deadline) {
			t.Fatalf("drops not logged:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	slow.unblock()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st = p.Stats()
	if st.Exported+st.Dropped != 160 || st.Failed != 0 {
		t.Errorf("stats %+v: exported and dropped should sum to 2×80", st)
	}
}

// A failing or panicking exporter is counted and logged; the others go on.
func TestFailingExporter(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(map[bool]string{false: "error", true: "panic"}[panics], func(t *testing.T) {
			r := newRecorder()
			log, logs := newLog()
			p := start(t, export.Options{Exporters: []export.Exporter{failing{panics}, r}, Interval: 5 * time.Millisecond, Logger: log})
			spans(20)
			r.waitFor(t, 20)
			err := p.Shutdown(context.Background())
			if err == nil || !strings.Contains(err.Error(), "shutdown failed") && !panics {
				t.Errorf("Shutdown: %v", err)
			}
			st := p.Stats()
			if st.Failed != 20 || st.Exported != 20 {
				t.Errorf("stats %+v, want 20 failed, 20 exported", st)
			}
			want := "span export failed"
			if panics {
				want = "span exporter panicked"
			}
			if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "component=jstrace") {
				t.Errorf("log lacks %q:\n%s", want, logs)
			}
		})
	}
}

// An export call that outlives Timeout fails.
func TestExportTimeout(t *testing.T) {
	b := newBlocker(true)
	p := start(t, export.Options{Exporters: []export.Exporter{b}, Interval: 5 * time.Millisecond, Timeout: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	spans(3)
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Failed != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want 3 failed", p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Shutdown returns when its context ends, even if an exporter ignores
// its own; the spans still queued are dropped.
func TestShutdownGivesUp(t *testing.T) {
	b := newBlocker(false)
	p := start(t, export.Options{Exporters: []export.Exporter{b}, Interval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(b.unblock)
	spans(1)
	<-b.entered
	spans(5)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := p.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the deadline", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	b.unblock() // the stuck call returns: the goroutine ends (goleak)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if st := p.Stats(); st.Dropped != 5 || st.Queued != 0 {
		t.Errorf("stats %+v, want the 5 queued dropped", st)
	}
}

// Without exporters nothing registers: spans do not record.
func TestNoExporters(t *testing.T) {
	p := start(t, export.Options{})
	_, s := jstrace.StartSpan(context.Background(), "op")
	defer s.End()
	if s.IsRecording() {
		t.Error("span records without exporters")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := export.Start(export.Options{Exporters: []export.Exporter{nil}}); err == nil {
		t.Error("Start with a nil exporter: no error")
	}
}

// Unsampled spans never reach exporters.
func TestUnsampledNotExported(t *testing.T) {
	r := newRecorder()
	p := start(t, export.Options{Exporters: []export.Exporter{r}, Interval: time.Hour})
	jstrace.SetTracing(jstrace.TracingOptions{Service: "svc", Sampler: jstrace.NeverSample()})
	defer jstrace.SetTracing(jstrace.TracingOptions{})
	spans(10)
	p.Shutdown(context.Background())
	if st := p.Stats(); st != (export.Stats{}) {
		t.Errorf("stats %+v for unsampled spans", st)
	}
}

// serial fails if ExportSpans is ever called concurrently.
type serial struct {
	busy    atomic.Bool
	overlap atomic.Bool
	n       atomic.Int64
}

func (s *serial) ExportSpans(_ context.Context, spans []*jstrace.SpanData) error {
	if !s.busy.CompareAndSwap(false, true) {
		s.overlap.Store(true)
	}
	time.Sleep(100 * time.Microsecond)
	s.n.Add(int64(len(spans)))
	s.busy.Store(false)
	return nil
}

func (s *serial) Shutdown(context.Context) error { return nil }

// Spans ending on many goroutines reach an exporter from one goroutine at
// a time, all of them.
func TestExportSpansSerial(t *testing.T) {
	s := &serial{}
	p := start(t, export.Options{Exporters: []export.Exporter{s}, QueueSize: 1 << 16, BatchSize: 16, Interval: time.Millisecond})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spans(500)
		}()
	}
	wg.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.overlap.Load() {
		t.Error("ExportSpans called concurrently")
	}
	if st := p.Stats(); s.n.Load() != 4000 || st.Exported != 4000 || st.Dropped != 0 {
		t.Errorf("%d spans exported, stats %+v; want 4000", s.n.Load(), st)
	}
}

// A queue holds at most QueueBytes of spans, by SpanData.Size: big spans
// waiting for a stuck exporter are dropped and counted long before
// QueueSize.
func TestQueueBytes(t *testing.T) {
	slow := newBlocker(false)
	p := start(t, export.Options{
		Exporters: []export.Exporter{slow},
		QueueSize: 1000, QueueBytes: 100 << 10, BatchSize: 1000, Interval: time.Hour,
	})
	t.Cleanup(slow.unblock)
	big := strings.Repeat("x", jstrace.MaxValueLen)
	for range 30 {
		_, s := jstrace.StartSpan(context.Background(), "op", "payload", big)
		s.End()
	}
	st := p.Stats()
	// 16.6 KiB a span (16 KiB of payload, the span's and the field's
	// fixed costs): six fit in 100 KiB; Interval is an hour and no batch
	// fills, so the exporter has taken none yet.
	if st.Queued != 6 || st.Dropped != 24 {
		t.Errorf("queued %d, dropped %d; want 6 and 24", st.Queued, st.Dropped)
	}
	slow.unblock()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st = p.Stats(); st.Exported != 6 || st.Dropped != 24 {
		t.Errorf("stats %+v, want 6 exported, 24 dropped", st)
	}
}
