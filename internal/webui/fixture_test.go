package webui_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// The fixture: a shop request (gateway → orders → payments, payments
// slow) and a failed one, in a real embedded store.
const (
	slowTrace   = "4bf92f3577b34da6a3ce929d0e0e4736"
	failedTrace = "0af7651916cd43dd8448eb211c80319c"
	paymentsID  = "00f067aa0ba902b7"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func fixture() []tracestore.Span {
	ms := time.Millisecond
	return []tracestore.Span{
		{TraceID: slowTrace, SpanID: "a000000000000001", Service: "gateway", Operation: "POST /checkout", Start: t0, Duration: 900 * ms, Host: "web-1",
			Tags: []tracestore.Tag{{Key: "http.status_code", Value: "200"}}},
		{TraceID: slowTrace, SpanID: "a000000000000002", ParentID: "a000000000000001", Service: "orders", Operation: "POST /orders", Start: t0.Add(10 * ms), Duration: 880 * ms},
		{TraceID: slowTrace, SpanID: "a000000000000003", ParentID: "a000000000000002", Service: "orders", Operation: "insert order", Start: t0.Add(15 * ms), Duration: 20 * ms},
		{TraceID: slowTrace, SpanID: paymentsID, ParentID: "a000000000000002", Service: "payments", Operation: "charge", Start: t0.Add(40 * ms), Duration: 830 * ms,
			Logs: []tracestore.Log{{Time: t0.Add(50 * ms), Message: "<script>alert(1)</script>", Fields: []tracestore.Tag{{Key: "card", Value: "visa"}}}}},
		{TraceID: failedTrace, SpanID: "b000000000000001", Service: "gateway", Operation: "POST /checkout", Start: t0.Add(time.Minute), Duration: 40 * ms, Error: "payment declined"},
		{TraceID: failedTrace, SpanID: "b000000000000002", ParentID: "b000000000000001", Service: "payments", Operation: "charge", Start: t0.Add(time.Minute + 5*ms), Duration: 30 * ms, Error: "card declined", ErrorType: "*payments.DeclinedError"},
	}
}

// openFixture returns a real embedded store holding the fixture, on a
// clock at the fixture's day.
func openFixture(t *testing.T) tracestore.Store {
	t.Helper()
	st, err := tracestore.Open(context.Background(), filepath.Join(t.TempDir(), "traces.db"),
		tracestore.Options{Now: func() time.Time { return t0.Add(2 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Put(context.Background(), fixture()); err != nil {
		t.Fatal(err)
	}
	return st
}
