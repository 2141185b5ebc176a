//go:build ignore

// Span latency by service and operation across every traced process, and
// the slow service. Every process sends its span:end traces; Local puts
// each trace's spans back together, wherever they ran, and charges every
// span its self time: its duration less its children's. A gateway's span
// lasts as long as the slow service it waits for, but its self time stays
// small: the service with the largest p99 of self time per trace is the
// one that makes requests slow. Every five seconds, and at the end, Local
// prints p50, p99 and max of each operation's duration, its p99 self time,
// its errors, and the slowest service.
//
//	jstrace -t '{gateway,orders,payments}' examples/scripts/span-p99.go
//
// A trace is complete once none of its spans has arrived for three seconds.
// The last table also takes the traces that ended since if each has its
// root and each span's parent, and leaves the others out: a process may
// have stopped sending before it sent its part.
package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// Bounds: spans waiting for their trace to complete, and samples kept
// (the most recent) for each quantile.
const (
	maxPending = 100000
	maxSamples = 4096
)

type span struct {
	id, parent, service, op string
	dur                     time.Duration
	failed                  bool
}

type pendingTrace struct {
	spans []span
	quiet int // seconds since its last span arrived
}

// samples are the most recent durations of something, for quantiles.
type samples struct {
	d    []time.Duration
	next int
}

func (s *samples) add(d time.Duration) {
	if len(s.d) < maxSamples {
		s.d = append(s.d, d)
		return
	}
	s.d[s.next] = d
	s.next = (s.next + 1) % maxSamples
}

// quantile is the nearest-rank q-quantile (q in (0, 1]).
func (s *samples) quantile(q float64) time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	d := append([]time.Duration(nil), s.d...)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(q*float64(len(d))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	return d[i]
}

type opStat struct {
	n, errs   int
	max       time.Duration
	dur, self samples
	service   string
}

func Local(traces *script.Traces) {
	pending := map[string]*pendingTrace{}
	npending, dropped := 0, 0
	ops := map[string]*opStat{}       // service \t operation
	perTrace := map[string]*samples{} // service: self time per trace
	traces.On("span:end", func(t *script.Trace) {
		id := t.Str("trace_id")
		tr := pending[id]
		if tr == nil {
			if npending >= maxPending {
				dropped++
				return
			}
			tr = &pendingTrace{}
			pending[id] = tr
		}
		tr.spans = append(tr.spans, span{
			id: t.Str("span_id"), parent: t.Str("parent_id"),
			service: t.Str("service"), op: t.Str("operation"),
			dur: t.Dur("duration"), failed: t.Has("error"),
		})
		tr.quiet = 0
		npending++
	})

	// settle charges the spans of every trace quiet for three ticks to
	// their service and operation: the spans of one trace come from several
	// processes, whose events may arrive a second apart on a loaded
	// machine, and a trace settled before its last child came would charge
	// the child's time to its parent. tick counts a second passed; the
	// final settle does not, and takes the recent traces that have their
	// root and every span's parent.
	settle := func(tick bool) {
		for id, tr := range pending {
			if tick {
				tr.quiet++
			}
			if tr.quiet < 3 && (tick || !whole(tr.spans)) {
				continue
			}
			children := map[string]time.Duration{}
			for _, s := range tr.spans {
				if s.parent != "" {
					children[s.parent] += s.dur
				}
			}
			selfOf := map[string]time.Duration{}
			for _, s := range tr.spans {
				self := s.dur - children[s.id]
				if self < 0 {
					self = 0 // children ran in parallel
				}
				key := s.service + "\t" + s.op
				st := ops[key]
				if st == nil {
					st = &opStat{service: s.service}
					ops[key] = st
				}
				st.n++
				if s.failed {
					st.errs++
				}
				if s.dur > st.max {
					st.max = s.dur
				}
				st.dur.add(s.dur)
				st.self.add(self)
				selfOf[s.service] += self
			}
			for svc, self := range selfOf {
				if perTrace[svc] == nil {
					perTrace[svc] = &samples{}
				}
				perTrace[svc].add(self)
			}
			npending -= len(tr.spans)
			delete(pending, id)
		}
	}

	report := func(final bool) {
		if len(ops) == 0 {
			fmt.Println("no spans yet")
			return
		}
		keys := make([]string, 0, len(ops))
		for k := range ops {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "SERVICE\tOPERATION\tSPANS\tERRORS\tP50\tP99\tMAX\tSELF P99")
		for _, k := range keys {
			s := ops[k]
			fmt.Fprintf(w, "%s\t%d\t%d\t%v\t%v\t%v\t%v\n", k, s.n, s.errs,
				round(s.dur.quantile(0.5)), round(s.dur.quantile(0.99)), round(s.max), round(s.self.quantile(0.99)))
		}
		w.Flush()
		fmt.Print(b.String())

		slowest, worst := "", time.Duration(-1)
		for svc, s := range perTrace {
			if p := s.quantile(0.99); p > worst || p == worst && svc < slowest {
				slowest, worst = svc, p
			}
		}
		top, topSelf := "", time.Duration(-1)
		for _, k := range keys {
			if s := ops[k]; s.service == slowest && s.self.quantile(0.99) > topSelf {
				top, topSelf = strings.TrimPrefix(k, slowest+"\t"), s.self.quantile(0.99)
			}
		}
		fmt.Printf("slowest service: %s (p99 of its own time per trace %v, most in %q)\n", slowest, round(worst), top)
		if dropped > 0 {
			fmt.Printf("(%d spans left out: more than %d waiting for their trace)\n", dropped, maxPending)
		}
		if final && len(pending) > 0 {
			fmt.Printf("(%d traces left out: still arriving when the session ended)\n", len(pending))
		}
		fmt.Println()
	}

	ticks := 0
	traces.Every(time.Second, func() {
		settle(true)
		ticks++
		if ticks%5 == 0 {
			report(false)
		}
	})
	traces.OnCleanup(func() {
		settle(false)
		report(true)
	})
}

// whole tells whether spans have a root and each span's parent. (A
// process that sent none of its spans still goes unseen if it called
// nobody: its caller's client span looks like a leaf.)
func whole(spans []span) bool {
	ids := make(map[string]bool, len(spans))
	root := false
	for _, s := range spans {
		ids[s.id] = true
		root = root || s.parent == ""
	}
	for _, s := range spans {
		if s.parent != "" && !ids[s.parent] {
			return false
		}
	}
	return root
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}
