package jstrace_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

var updateSpanAnswers = flag.Bool("update-span-answers", false, "rewrite testdata/span_answers.golden")

// TestSpanAnswers: everything observable about spans of every kind
// (samplers; lean, exported and traced spans and their children; eight
// ways a request arrives: with or without a request ID, traceparent,
// tracestate, X-Trace-ID with or without X-Span-ID, a remote parent under
// a request ID), with IDs replaced by names given in order of first
// appearance, against a transcript written at 983658a, before spans
// nobody needs kept less (spankinds.go). Written by a review (helper),
// which found the two commits' transcripts identical.
func TestSpanAnswers(t *testing.T) {
	const golden = "testdata/span_answers.golden"
	var b strings.Builder
	names := map[string]string{}
	hexRE := regexp.MustCompile(`\b[0-9a-f]{32}\b|\b[0-9a-f]{16}\b`)
	name := func(s string) string {
		return hexRE.ReplaceAllStringFunc(s, func(h string) string {
			if v, ok := names[h]; ok {
				return v
			}
			v := fmt.Sprintf("ID%d", len(names)+1)
			names[h] = v
			return v
		})
	}
	var mu sync.Mutex
	events := map[string][]string{} // by operation
	probe := jstrace.NewProbe("spananswers:probe")
	var probeFields string
	psub := jstrace.SubscribeFunc(func(p string) bool { return p == "spananswers:probe" }, func(e jstrace.Event) {
		kv, _ := e.Args()
		probeFields = fmt.Sprint(kv)
	})
	defer psub.Close()
	exported := map[string]string{}

	type mode struct {
		name          string
		export, trace bool
	}
	modes := []mode{{"lean", false, false}, {"export", true, false}, {"session", false, true}}
	var stopExp func()
	var ssub *jstrace.Subscription
	set := func(m mode) {
		if stopExp != nil {
			stopExp()
			stopExp = nil
		}
		if ssub != nil {
			ssub.Close()
			ssub = nil
		}
		if m.export {
			stopExp = jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
				mu.Lock()
				exported[d.Operation] = fmt.Sprintf("T=%s S=%s P=%s rp=%v ts=%q", d.TraceID, d.SpanID, d.ParentID, d.RemoteParent, d.TraceState)
				mu.Unlock()
			})
		}
		if m.trace {
			ssub = jstrace.SubscribeFunc(func(p string) bool { return p == "span:start" || p == "span:end" }, func(e jstrace.Event) {
				kv, _ := e.Args()
				var op string
				var parts []string
				for i := 0; i+1 < len(kv); i += 2 {
					k := fmt.Sprint(kv[i])
					if k == "duration" {
						continue
					}
					if k == "operation" {
						op = fmt.Sprint(kv[i+1])
					}
					parts = append(parts, fmt.Sprintf("%s=%v", k, kv[i+1]))
				}
				mu.Lock()
				events[op] = append(events[op], e.Name()+"{"+strings.Join(parts, " ")+"}")
				mu.Unlock()
			})
		}
	}
	defer set(mode{})

	type rec struct {
		label string
		ctx   context.Context
		s     *jstrace.Span
	}
	describe := func(r rec) string {
		s := r.s
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s: nil=%v T=%s S=%s P=%s sampled=%v rec=%v sc=%+v rid=%q", r.label, s == nil, s.TraceID(), s.SpanID(), s.ParentID(), s.IsSampled(), s.IsRecording(), s.SpanContext(), jstrace.RequestID(r.ctx))
		m := jstrace.MapCarrier{}
		jstrace.Inject(r.ctx, m)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&sb, " %s=%s", k, m[k])
		}
		probeFields = ""
		probe.EmitContext(r.ctx, "x", 1)
		fmt.Fprintf(&sb, " probe=%s", probeFields)
		if s != nil {
			if got := jstrace.SpanFromContext(r.ctx); got != s {
				fmt.Fprintf(&sb, " SPANFROMCONTEXT-DIFFERS")
			}
		}
		return sb.String()
	}

	bases := []struct {
		name string
		mk   func() context.Context
	}{
		{"bg", func() context.Context { return context.Background() }},
		{"rid", func() context.Context { return jstrace.WithRequestID(context.Background(), "r1") }},
		{"tp01+ts", func() context.Context {
			return jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "a=1"})
		}},
		{"rid+tp00", func() context.Context {
			return jstrace.Extract(jstrace.WithRequestID(context.Background(), "r2"), jstrace.MapCarrier{"traceparent": "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-00"})
		}},
		{"xtid+xsid", func() context.Context {
			return jstrace.Extract(context.Background(), jstrace.MapCarrier{"x-trace-id": "2af7651916cd43dd8448eb211c80319c", "x-span-id": "d7ad6b7169203331"})
		}},
		{"xtid-alone", func() context.Context {
			return jstrace.Extract(context.Background(), jstrace.MapCarrier{"x-trace-id": "3af7651916cd43dd8448eb211c80319c"})
		}},
		{"rid+remote+ts", func() context.Context {
			return jstrace.ContextWithRemoteParent(jstrace.WithRequestID(context.Background(), "r4"), jstrace.SpanContext{TraceID: jstrace.TraceID{4, 1}, SpanID: jstrace.SpanID{4, 2}, Sampled: true, TraceState: "b=2"})
		}},
		{"tp+ts+rid-after", func() context.Context {
			return jstrace.WithRequestID(jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": "00-5af7651916cd43dd8448eb211c80319c-e7ad6b7169203331-01", "tracestate": "c=3"}), "r5")
		}},
	}

	for _, sampler := range []jstrace.Sampler{jstrace.NeverSample(), jstrace.AlwaysSample()} {
		for _, pm := range modes {
			for _, cm := range modes {
				jstrace.SetTracing(jstrace.TracingOptions{Sampler: sampler, Service: "svc"})
				for _, base := range bases {
					prefix := fmt.Sprintf("%v/%s/%s/%s", sampler, pm.name, cm.name, base.name)
					var recs []rec
					var spans []*jstrace.Span
					start := func(ctx context.Context, label string) (context.Context, *jstrace.Span) {
						op := prefix + "/" + label
						c, s := jstrace.StartSpan(ctx, op)
						recs = append(recs, rec{op, c, s})
						spans = append(spans, s)
						return c, s
					}
					set(pm)
					b0 := base.mk()
					recs = append(recs, rec{prefix + "/base", b0, jstrace.SpanFromContext(b0)})
					rctx, _ := start(b0, "root")
					set(cm)
					c1, _ := start(rctx, "c1")
					c2, _ := start(jstrace.WithRequestID(rctx, "rc"), "c2")
					start(c1, "g1")
					g2, _ := start(jstrace.WithRequestID(c2, "rg"), "g2")
					start(jstrace.WithRequestID(jstrace.WithRequestID(c1, "x"), "y"), "g3")
					g4, _ := start(c2, "g4")
					w := jstrace.WithRequestID(g4, "w")
					recs = append(recs, rec{prefix + "/rid-over-g4", w, jstrace.SpanFromContext(w)})
					set(pm)
					start(g4, "gg4")
					start(g2, "gg2")
					start(w, "ggw")
					set(cm)
					for _, r := range recs {
						b.WriteString(name(describe(r)) + "\n")
					}
					set(mode{export: true, trace: cm.trace})
					for i := len(spans) - 1; i >= 0; i-- {
						spans[i].End()
					}
					set(mode{})
					for _, r := range recs {
						mu.Lock()
						if e, ok := exported[r.label]; ok {
							b.WriteString(name(r.label+" exported "+e) + "\n")
						}
						for _, e := range events[r.label] {
							b.WriteString(name(r.label+" event "+e) + "\n")
						}
						mu.Unlock()
					}
				}
			}
		}
	}
	jstrace.SetTracing(jstrace.TracingOptions{})
	if *updateSpanAnswers {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\n got %s\nwant %s", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d lines, %s has %d", len(gl), golden, len(wl))
	}
}
