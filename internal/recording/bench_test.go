package recording

import (
	"bytes"
	"io"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// benchEvent is a typical request:end: an int, two strings, a status and
// a duration.
func benchEvent() Record {
	ev := newEvent(protocol.RecordEvent, "request:end", t0.UnixNano()).
		field("id", varint(protocol.KindInt, 12345)...).
		field("method", str(protocol.KindString, "GET")...).
		field("path", str(protocol.KindString, "/users/42")...).
		field("status", varint(protocol.KindInt, 200)...).
		field("duration", varint(protocol.KindDuration, 1234567)...)
	return Record{Hostname: "web-1", Title: "api", PID: 1234, Event: ev.b}
}

// BenchmarkWrite is jstrace record's cost per event.
func BenchmarkWrite(b *testing.B) {
	r := benchEvent()
	w, _ := NewWriter(io.Discard, header)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRead is jstrace replay's cost per event, reading.
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, header)
	r := benchEvent()
	for range 10000 {
		w.Write(r)
	}
	w.Close()
	file := buf.Bytes()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		recs := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			recs++
		}
		n += recs
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
