package script_test

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// record encodes an event record by hand, as docs/protocol.md describes.
func record(name string, fields ...[]byte) []byte {
	b := []byte{byte(protocol.RecordEvent)}
	b = appendStr(b, name)
	b = binary.LittleEndian.AppendUint64(b, uint64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()))
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func field(key string, kind protocol.Kind, payload ...byte) []byte {
	return append(append(appendStr(nil, key), byte(kind)), payload...)
}

func str(key, v string) []byte {
	return append(appendStr(nil, key), appendStr([]byte{byte(protocol.KindString)}, v)...)
}

func num(key string, v int64) []byte {
	return binary.AppendVarint(field(key, protocol.KindInt), v)
}

var origin = scripthost.Origin{Hostname: "api-1", Title: "api", PID: 42}

func parse(t *testing.T, rec []byte) *script.Trace {
	t.Helper()
	tr, err := scripthost.ParseTrace(rec, origin)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTraceGetters(t *testing.T) {
	tr := parse(t, record("request:end",
		num("status", 200),
		binary.AppendVarint(field("duration", protocol.KindDuration), int64(1500*time.Millisecond)),
		str("method", "GET"),
		field("ok", protocol.KindTrue),
		binary.AppendUvarint(field("size", protocol.KindUint), 7),
		num("status", 404), // the last one wins
	))
	if tr.Name != "request:end" || tr.Hostname != "api-1" || tr.Title != "api" || tr.PID != 42 || tr.Time.Year() != 2026 {
		t.Fatalf("trace %+v", tr)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Int", tr.Int("status"), 404},
		{"Int of duration", tr.Int("duration"), int(1500 * time.Millisecond)},
		{"Dur", tr.Dur("duration"), 1500 * time.Millisecond},
		{"Dur of int", tr.Dur("status"), time.Duration(404)},
		{"Str", tr.Str("method"), "GET"},
		{"Str of int", tr.Str("status"), "404"},
		{"Bool", tr.Bool("ok"), true},
		{"Uint", tr.Uint("size"), uint(7)},
		{"Float of int", tr.Float("status"), 404.0},
		{"Get", tr.Get("method"), "GET"},
		{"missing Int", tr.Int("nope"), 0},
		{"missing Get", tr.Get("nope"), nil},
		{"wrong kind", tr.Bool("method"), false},
		{"Has", tr.Has("ok"), true},
		{"Keys", tr.Keys(), []string{"status", "duration", "method", "ok", "size", "status"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
	if s := tr.String(); !strings.HasSuffix(s, `api-1/api/42 request:end status=200 duration=1.5s method="GET" ok=true size=7 status=404`) {
		t.Errorf("String() = %q", s)
	}
}

func TestReservedKeysAreRenamed(t *testing.T) {
	tr := parse(t, record("x", num("pid", 1), num("_pid", 2), str("name", "n"), num("other", 3)))
	if tr.PID != 42 || tr.Int("_pid") != 1 || tr.Int("__pid") != 2 || tr.Str("_name") != "n" || tr.Int("other") != 3 {
		t.Fatalf("fields %v", tr.Fields())
	}
	if tr.Has("pid") || tr.Has("name") {
		t.Fatal("a reserved key is visible under its own name")
	}
	want := map[string]any{"_pid": 1, "__pid": 2, "_name": "n", "other": 3}
	if got := tr.Fields(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Fields() = %v, want %v", got, want)
	}
	for raw, presented := range map[string]string{"pid": "_pid", "__title": "___title", "hostname": "_hostname", "time": "_time", "pids": "pids", "x_pid": "x_pid"} {
		if got := scripthost.PresentKey(raw); got != presented {
			t.Errorf("PresentKey(%q) = %q, want %q", raw, got, presented)
		}
	}
}

func TestParseTraceRejectsMalformed(t *testing.T) {
	rec := record("x", num("n", 1))
	if _, err := scripthost.ParseTrace(rec[:len(rec)-1], origin); err == nil {
		t.Fatal("a cut record parsed")
	}
}

// host is a fake scripthost.Host.
type host struct {
	patterns []string
	emitted  []string
	printed  []string
	every    []time.Duration
	cleanups int
	aggs     []scripthost.Feed
}

func (h *host) On(p string, fn func(*script.Trace)) error {
	if strings.Contains(p, "[") && !strings.Contains(p, "]") {
		return errBad
	}
	h.patterns = append(h.patterns, p)
	return nil
}
func (h *host) Aggregate(p string, f scripthost.Feed) error {
	if err := h.On(p, nil); err != nil {
		return err
	}
	h.aggs = append(h.aggs, f)
	return nil
}
func (h *host) Emit(name string, kv []any) { h.emitted = append(h.emitted, name) }
func (h *host) Print(stream byte, text string) {
	h.printed = append(h.printed, string('0'+stream)+text)
}
func (h *host) Every(d time.Duration, fn func()) { h.every = append(h.every, d) }
func (h *host) OnCleanup(fn func())              { h.cleanups++ }

type errString string

func (e errString) Error() string { return string(e) }

var errBad = errString("bad pattern")

func TestTracesDelegatesToHost(t *testing.T) {
	h := &host{}
	traces := scripthost.NewTraces(h)
	traces.On("request:*", func(*script.Trace) {})
	traces.Emit("n", "k", 1)
	traces.Log("a", 1)
	traces.Logf("b %d", 2)
	traces.Error("c")
	traces.Errorf("d\n")
	traces.Dump("e")
	traces.Dir("f")
	traces.Every(time.Millisecond, func() {})
	traces.OnCleanup(func() {})
	want := []string{"1a 1\n", "1b 2\n", "2c\n", "2d\n", "3e\n", "3f\n"}
	if !reflect.DeepEqual(h.printed, want) {
		t.Errorf("printed %q, want %q", h.printed, want)
	}
	if h.every[0] != 10*time.Millisecond {
		t.Errorf("Every period %v, want it raised to 10ms", h.every[0])
	}
	if len(h.patterns) != 1 || len(h.emitted) != 1 || h.cleanups != 1 {
		t.Errorf("host %+v", h)
	}
	for name, fn := range map[string]func(){
		"bad pattern": func() { traces.On("[", func(*script.Trace) {}) },
		"nil handler": func() { traces.On("x", nil) },
		"nil every":   func() { traces.Every(time.Second, nil) },
		"nil cleanup": func() { traces.OnCleanup(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			fn()
		}()
	}
}
