package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// event encodes a wire event record by hand, as docs/protocol.md says.
type event struct{ b []byte }

func newEvent(kind protocol.RecordKind, name string, ns int64) *event {
	e := &event{b: []byte{byte(kind)}}
	e.b = appendString(e.b, name)
	e.b = binary.LittleEndian.AppendUint64(e.b, uint64(ns))
	return e
}

func (e *event) field(key string, value ...byte) *event {
	e.b = append(appendString(e.b, key), value...)
	return e
}

func varint(k protocol.Kind, v int64) []byte { return binary.AppendVarint([]byte{byte(k)}, v) }
func str(k protocol.Kind, s string) []byte   { return appendString([]byte{byte(k)}, s) }
func float(f float64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{byte(protocol.KindFloat)}, math.Float64bits(f))
}
func list(k protocol.Kind, elems ...[]byte) []byte {
	b := []byte{byte(k)}
	n := len(elems)
	if k == protocol.KindMap {
		n /= 2
	}
	b = binary.AppendUvarint(b, uint64(n))
	return append(b, bytes.Join(elems, nil)...)
}

// t0 is 2026-12-01T00:40:01.123456789Z.
var t0 = time.Date(2026, 12, 1, 0, 40, 1, 123456789, time.UTC)

// allKinds is a record with a field of every value kind, some of them in
// their corners (NaN, ±Inf, the extreme integers, nested lists and maps
// with keys that are not strings, control characters).
func allKinds() []Record {
	ev := newEvent(protocol.RecordEvent, "request:end", t0.UnixNano()).
		field("nil", byte(protocol.KindNil)).
		field("ok", byte(protocol.KindTrue)).
		field("no", byte(protocol.KindFalse)).
		field("status", varint(protocol.KindInt, 200)...).
		field("min", varint(protocol.KindInt, math.MinInt64)...).
		field("size", binary.AppendUvarint([]byte{byte(protocol.KindUint)}, math.MaxUint64)...).
		field("ratio", float(0.1)...).
		field("nan", float(math.NaN())...).
		field("inf", float(math.Inf(-1))...).
		field("path", str(protocol.KindString, "/a \"b\"\n\x01\u0085é")...).
		field("body", str(protocol.KindBytes, "\xca\xfe")...).
		field("at", varint(protocol.KindTime, t0.Add(time.Second).UnixNano())...).
		field("took", varint(protocol.KindDuration, int64(1500*time.Microsecond))...).
		field("err", str(protocol.KindError, "boom")...).
		field("list", list(protocol.KindList, varint(protocol.KindInt, 1), str(protocol.KindString, "a"))...).
		field("map", list(protocol.KindMap,
			str(protocol.KindString, "k"), []byte{byte(protocol.KindTrue)},
									varint(protocol.KindInt, 7), list(protocol.KindList))...).
		field("status", varint(protocol.KindInt, 201)...) // a repeated key stays
	emit := newEvent(protocol.RecordEmit, "count", t0.Add(time.Millisecond).UnixNano()).
		field("n", varint(protocol.KindInt, 3)...)
	bare := newEvent(protocol.RecordEvent, "tick", 0)
	return []Record{
		{Hostname: "web-1", Title: "api", PID: 1234, Event: ev.b},
		{Hostname: "web-2", Title: "api", PID: 99, Event: emit.b},
		{Hostname: "", Title: "", PID: 0, Event: bare.b},
	}
}

var header = Header{Created: t0, Source: "test", Globs: []string{"request:*", "count"}}

func write(t testing.TB, recs []Record, dropped uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, header)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.AddDropped(dropped)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(r *Reader) ([]Record, error) {
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

func TestGolden(t *testing.T) {
	got := write(t, allKinds(), 5)
	path := filepath.Join("testdata", "all-kinds.jsonl")
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Writer's output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
	// Reading the golden file gives back the very event records written.
	r, err := NewReader(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Version != Version || !h.Created.Equal(t0) || h.Source != "test" || len(h.Globs) != 2 {
		t.Errorf("header %+v", h)
	}
	recs, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, recs, allKinds())
	if tr, ok := r.Trailer(); !ok || tr.Records != 3 || tr.Dropped != 5 {
		t.Errorf("trailer %+v %v", tr, ok)
	}
}

func checkSame(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Hostname != w.Hostname || g.Title != w.Title || g.PID != w.PID || !bytes.Equal(g.Event, w.Event) {
			t.Errorf("record %d:\n got %q %q %d %x\nwant %q %q %d %x", i, g.Hostname, g.Title, g.PID, g.Event, w.Hostname, w.Title, w.PID, w.Event)
		}
	}
}

func TestGzip(t *testing.T) {
	for _, name := range []string{"rec.jsonl", "rec.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Create(path, header)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range allKinds() {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(path)
			if gz := bytes.HasPrefix(raw, []byte{0x1f, 0x8b}); gz != strings.HasSuffix(name, ".gz") {
				t.Errorf("compressed: %v", gz)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			recs, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, recs, allKinds())
		})
	}
}

func TestWriterRejectsMalformedEvent(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, header)
	bad := append(newEvent(protocol.RecordEvent, "x", 1).b, 1, 'k', 0x7f)
	if err := w.Write(Record{Event: bad}); !errors.Is(err, protocol.ErrMalformed) {
		t.Fatalf("Write of a malformed event: %v", err)
	}
	if err := w.Write(allKinds()[1]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if recs, err := readAll(r); err != nil || len(recs) != 1 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

// TestInvalidUTF8 documents the one loss of the format: text that is not
// UTF-8 reads back with U+FFFD in place of the bad bytes.
func TestInvalidUTF8(t *testing.T) {
	ev := newEvent(protocol.RecordEvent, "x\xff", 1).field("k\xfe", str(protocol.KindString, "a\xffb")...)
	r, err := NewReader(bytes.NewReader(write(t, []Record{{Event: ev.b}}, 0)))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := newEvent(protocol.RecordEvent, "x\uFFFD", 1).field("k\uFFFD", str(protocol.KindString, "a\uFFFDb")...)
	if !bytes.Equal(recs[0].Event, want.b) {
		t.Errorf("got %q, want %q", recs[0].Event, want.b)
	}
}
