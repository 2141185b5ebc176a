//go:build ignore

// The events of slow or failed requests, in order, with the time since the
// request started: every http:* and db:* event carries the request's ID
// (jstracehttp puts it in the context, jstracesql and EmitContext read it
// there), so each process keeps the events of the requests in flight and,
// when one ends slow (over 100ms) or with a 5xx, emits its story. At most
// 1,000 requests of 64 events each are kept, for 10 seconds; what could
// not be followed is counted and said.
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

// Bounds of what each process keeps: requests in flight, events per
// request, and how long a request whose end was never seen (an event
// dropped, an ID set without the middleware) is kept.
const (
	maxRequests = 1000
	maxEvents   = 64
	maxAge      = 10 * time.Second
)

func Remote(traces *script.Traces) {
	inflight := map[string][]event{}
	skipped := 0
	traces.On("{http:request,http:layer,db:*}:*", func(t *script.Trace) {
		id := t.Str("request_id")
		if id == "" {
			return
		}
		events, ok := inflight[id]
		if !ok && len(inflight) >= maxRequests {
			skipped++
			return
		}
		if len(events) < maxEvents {
			line := t.Name
			for _, k := range []string{"layer", "route", "statement", "status", "error"} {
				if t.Has(k) {
					line += fmt.Sprintf(" %s=%v", k, t.Get(k))
				}
			}
			events = append(events, event{t.Time, line})
		}
		inflight[id] = events
		if t.Name != "http:request:end" {
			return
		}
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
	traces.Every(time.Second, func() {
		now := time.Now()
		for id, events := range inflight {
			if now.Sub(events[0].at) > maxAge {
				delete(inflight, id)
				skipped++
			}
		}
		if skipped > 0 {
			traces.Emit("skipped", "n", skipped)
			skipped = 0
		}
	})
}

func Local(traces *script.Traces) {
	traces.On("story", func(t *script.Trace) {
		fmt.Printf("request %s: %d in %v (%s/%d)\n%s\n", t.Str("id"), t.Int("status"),
			t.Dur("duration").Round(time.Microsecond), t.Hostname, t.PID, t.Str("events"))
	})
	traces.On("skipped", func(t *script.Trace) {
		fmt.Printf("(%s/%d: %d requests not followed: over %d in flight, or no end within %v)\n",
			t.Hostname, t.PID, t.Int("n"), maxRequests, maxAge)
	})
}
