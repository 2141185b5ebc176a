//go:build ignore

// The events of slow or failed requests, in order, with the time since the
// request started: every http:* and db:* event carries the request's ID
// (jstracehttp puts it in the context, jstracesql and EmitContext read it
// there), so each process keeps the events of the requests in flight and,
// when one ends slow (over 100ms) or with a 5xx, emits its story. At most
// 1,000 requests are kept at once.
//
//	jstrace -t webapp examples/scripts/request-events.go
package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

type event struct {
	at   time.Time
	line string
}

func Remote(traces *script.Traces) {
	inflight := map[string][]event{}
	traces.On("{http:request,http:layer,db:*}:*", func(t *script.Trace) {
		id := t.Str("request_id")
		if id == "" {
			return
		}
		if _, ok := inflight[id]; !ok && len(inflight) >= 1000 {
			return
		}
		line := t.Name
		for _, k := range []string{"layer", "route", "statement", "status", "error"} {
			if t.Has(k) {
				line += fmt.Sprintf(" %s=%v", k, t.Get(k))
			}
		}
		inflight[id] = append(inflight[id], event{t.Time, line})
		if t.Name != "http:request:end" {
			return
		}
		events := inflight[id]
		delete(inflight, id)
		if t.Dur("duration") < 100*time.Millisecond && t.Int("status") < 500 {
			return
		}
		var b strings.Builder
		for _, e := range events {
			fmt.Fprintf(&b, "  +%-8v %s\n", e.at.Sub(events[0].at).Round(time.Microsecond), e.line)
		}
		traces.Emit("story", "id", id, "status", t.Int("status"), "duration", t.Dur("duration"), "events", b.String())
	})
}

func Local(traces *script.Traces) {
	traces.On("story", func(t *script.Trace) {
		fmt.Printf("request %s: %d in %v (%s/%d)\n%s\n", t.Str("id"), t.Int("status"),
			t.Dur("duration").Round(time.Microsecond), t.Hostname, t.PID, t.Str("events"))
	})
}
