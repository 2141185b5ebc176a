package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/collector"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// record encodes an event record as an agent sends it, length-prefixed
// for a batch: kv holds string, time.Duration and int values.
func record(name string, at time.Time, kv ...any) []byte {
	rec := []byte{byte(protocol.RecordEvent)}
	rec = binary.AppendUvarint(rec, uint64(len(name)))
	rec = append(rec, name...)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(at.UnixNano()))
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		rec = binary.AppendUvarint(rec, uint64(len(k)))
		rec = append(rec, k...)
		switch v := kv[i+1].(type) {
		case string:
			rec = append(rec, byte(protocol.KindString))
			rec = binary.AppendUvarint(rec, uint64(len(v)))
			rec = append(rec, v...)
		case time.Duration:
			rec = append(rec, byte(protocol.KindDuration))
			rec = binary.AppendVarint(rec, int64(v))
		case int:
			rec = append(rec, byte(protocol.KindInt))
			rec = binary.AppendVarint(rec, int64(v))
		}
	}
	return append(binary.AppendUvarint(nil, uint64(len(rec))), rec...)
}

// The span:end records of a batch become spans: the start is the event's
// time less the duration, the host the agent's, the process and request
// tags; bad spans and malformed records are rejected and counted, other
// probes ignored.
func TestCollectAgentEvents(t *testing.T) {
	st := &collectFakeStore{spans: map[string]tracestore.Span{}}
	var stderr bytes.Buffer
	out := &output{stdout: &bytes.Buffer{}, stderr: &stderr}
	c := &collection{out: out, writer: collector.NewWriter(st, collector.WriterOptions{Interval: time.Millisecond})}
	c.tracer = &tracer{out: out, warned: map[string]bool{}}
	conn := &client.Conn{Origin: scripthost.Origin{Hostname: "pay-1", Title: "payments", PID: 42}, Addr: "127.0.0.1:7070"}
	end := time.Date(2026, 11, 30, 12, 0, 1, 0, time.UTC)
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	var batch []byte
	batch = append(batch, record("span:end", end, "request_id", 7, "trace_id", trace, "span_id", "00f067aa0ba902b7",
		"parent_id", "b7ad6b7169203331", "service", "payments", "operation", "charge card", "duration", 250*time.Millisecond, "error", "bank unavailable")...)
	batch = append(batch, record("span:end", end, "trace_id", "not-hex", "span_id", "00f067aa0ba902b7", "service", "payments", "operation", "x", "duration", time.Millisecond)...)
	batch = append(batch, record("request:end", end, "id", 3)...)
	batch = append(batch, 0x7f, 1, 2) // cut: a record longer than what is left
	c.agentEvents(conn, batch)
	if err := c.writer.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, ok := st.spans[trace+"00f067aa0ba902b7"]
	if !ok || len(st.spans) != 1 {
		t.Fatalf("stored %+v, want the one valid span", st.spans)
	}
	if !s.Start.Equal(end.Add(-250*time.Millisecond)) || s.Duration != 250*time.Millisecond || s.End() != end {
		t.Errorf("start %v, duration %v: want the span to end at the event's time %v", s.Start, s.Duration, end)
	}
	if s.ParentID != "b7ad6b7169203331" || s.Service != "payments" || s.Operation != "charge card" || s.Error != "bank unavailable" || s.Host != "pay-1" {
		t.Errorf("span %+v", s)
	}
	tags := map[string]string{}
	for _, tg := range s.Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["request_id"] != "7" || tags["process.title"] != "payments" || tags["process.pid"] != "42" {
		t.Errorf("tags %v", s.Tags)
	}
	stats := c.writer.Stats()
	if stats.Rejected != 2 || stats.Reasons[collector.ReasonTraceID] != 1 || stats.Reasons[collector.ReasonJSON] != 1 {
		t.Errorf("rejected %d %v, want a bad trace_id and a malformed record", stats.Rejected, stats.Reasons)
	}
	if !bytes.Contains(stderr.Bytes(), []byte("pay-1/payments/42: malformed events")) {
		t.Errorf("malformed batch not reported: %q", stderr.String())
	}
}
