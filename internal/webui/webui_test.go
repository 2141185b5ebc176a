package webui_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/webui"
)

func get(t *testing.T, h http.Handler, host, path string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Host = host
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Result(), string(b)
}

func TestAPI(t *testing.T) {
	h := webui.Handler(openFixture(t), webui.Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		name, path string
		code       int
		has        []string // substrings of the body, in order
		hasNot     []string
	}{
		{"page", "/", 200, []string{`<script src="app.js"`, "jstrace"}, nil},
		{"script", "/app.js", 200, []string{"textContent"}, nil},
		{"slow first", "/api/traces?list=slow", 200, []string{`"list":"slow"`, slowTrace, failedTrace}, nil},
		{"recent first", "/api/traces", 200, []string{`"list":"recent"`, failedTrace, slowTrace}, nil},
		{"errors of the day", "/api/traces?list=errors&day=2026-11-30", 200, []string{failedTrace, `"error":"payment declined"`}, []string{slowTrace}},
		{"errors of another day", "/api/traces?list=errors&day=2026-11-29", 200, []string{`"traces":[]`}, nil},
		{"by service", "/api/traces?list=slow&service=orders", 200, []string{slowTrace}, []string{failedTrace}},
		{"limit", "/api/traces?list=slow&limit=1", 200, []string{slowTrace}, []string{failedTrace}},
		{"trace", "/api/traces/" + slowTrace, 200, []string{`"service":"gateway"`, `"service":"orders"`, `"service":"payments"`, `"bottleneck":"` + paymentsID + `"`}, nil},
		{"uppercase ID", "/api/traces/" + strings.ToUpper(slowTrace), 200, []string{slowTrace}, nil},
		{"log escaped", "/api/traces/" + slowTrace, 200, []string{`\u003cscript\u003e`}, []string{"<script>"}},
		{"unknown trace", "/api/traces/" + strings.Repeat("1", 32), 404, []string{"no such trace"}, nil},
		{"bad trace ID", "/api/traces/zz<b>", 400, []string{"32 hex digits"}, []string{"<b>"}},
		{"bad list", "/api/traces?list=<x>", 400, []string{"recent, slow or errors"}, []string{"<x>"}},
		{"bad limit", "/api/traces?limit=100000", 400, []string{"limit is 1 to"}, nil},
		{"bad since", "/api/traces?since=-1h", 400, []string{"positive duration"}, nil},
		{"bad day", "/api/traces?list=errors&day=yesterday", 400, []string{"YYYY-MM-DD"}, nil},
		{"no other path", "/etc/passwd", 404, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, h, "127.0.0.1:7777", tc.path)
			if res.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.code, body)
			}
			rest := body
			for _, s := range tc.has {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Fatalf("body lacks %q (in order): %s", s, body)
				}
				rest = rest[i+len(s):]
			}
			for _, s := range tc.hasNot {
				if strings.Contains(body, s) {
					t.Fatalf("body has %q: %s", s, body)
				}
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
}

// TestTraceView: the waterfall's order (parents before children, depth
// by parent), offsets from the trace's start, and the critical path (the
// orders span waited for its insert, then for payments).
func TestTraceView(t *testing.T) {
	h := webui.Handler(openFixture(t), webui.Options{})
	_, body := get(t, h, "localhost:1", "/api/traces/"+slowTrace)
	var v struct {
		Bottleneck string `json:"bottleneck"`
		Duration   int64  `json:"duration_ns"`
		Spans      []struct {
			SpanID   string `json:"span_id"`
			Depth    int    `json:"depth"`
			Offset   int64  `json:"offset_ns"`
			Critical bool   `json:"critical"`
		} `json:"spans"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id       string
		depth    int
		offsetMS int64
		critical bool
	}
	var got []row
	for _, s := range v.Spans {
		got = append(got, row{s.SpanID, s.Depth, s.Offset / 1e6, s.Critical})
	}
	want := []row{{"a000000000000001", 0, 0, true}, {"a000000000000002", 1, 10, true}, {"a000000000000003", 2, 15, true}, {paymentsID, 2, 40, true}}
	if len(got) != len(want) {
		t.Fatalf("spans %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if v.Bottleneck != paymentsID || v.Duration != 900e6 {
		t.Errorf("bottleneck %s, duration %d", v.Bottleneck, v.Duration)
	}
}

// TestHostGuard: a page of another site that resolves its own name to
// 127.0.0.1 (DNS rebinding) is refused; loopback names and the hosts
// given are served.
func TestHostGuard(t *testing.T) {
	h := webui.Handler(openFixture(t), webui.Options{Hosts: []string{"tracebox"}})
	for host, code := range map[string]int{
		"127.0.0.1:8080": 200, "[::1]:8080": 200, "localhost:8080": 200, "LOCALHOST": 200, "app.localhost:1": 200,
		"tracebox:8080": 200, "TraceBox": 200,
		"evil.example:8080": 421, "127.0.0.1.evil.example": 421, "10.0.0.5:8080": 421, "": 421,
	} {
		if res, _ := get(t, h, host, "/api/traces"); res.StatusCode != code {
			t.Errorf("Host %q: %d, want %d", host, res.StatusCode, code)
		}
	}
}
