package storetest

import (
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// perm is a fixed permutation of 1..n (n < 1000), so that durations and
// starts are not in put order.
func perm(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (i*389)%n + 1 // 389 is prime and does not divide n
	}
	return out
}

// fill puts n traces: trace i has a root of service web (operation "op
// i%3"), whose duration is i ms and which started i seconds before base;
// traces divisible by 5 also have a span of service "rare"; traces divisible
// by 4 failed.
func fill(e *env, s tracestore.Store, n int) {
	var batch []tracestore.Span
	for _, i := range perm(n) {
		d := time.Duration(i) * time.Millisecond
		start := -time.Duration(i) * time.Second
		root := span(i, 1, 0, "web", []string{"op0", "op1", "op2"}[i%3], start, d)
		if i%4 == 0 {
			root = failed(root, "failed")
		}
		batch = append(batch, root, span(i, 2, 1, "db", "query", start, d/2))
		if i%5 == 0 {
			batch = append(batch, span(i, 3, 1, "rare", "call", start, d/3))
		}
		if len(batch) >= 100 {
			e.put(s, batch...)
			batch = batch[:0]
		}
	}
	e.put(s, batch...)
}

// seq is from, from-step, ... (count numbers).
func seq(from, step, count int) []int {
	out := make([]int, count)
	for i := range out {
		out[i] = from + i*step
	}
	return out
}

var slowTests = []test{
	{"limits", func(e *env) {
		s := e.store(0)
		fill(e, s, 131)
		e.listed(s, slow, tracestore.Query{}, seq(131, -1, tracestore.DefaultLimit)...)
		e.listed(s, slow, tracestore.Query{Limit: 3}, 131, 130, 129)
		e.listed(s, slow, tracestore.Query{Limit: tracestore.MaxLimit + 50}, seq(131, -1, tracestore.MaxLimit)...)
	}},
	{"filters", func(e *env) {
		s := e.store(0)
		fill(e, s, 40)
		tests := []struct {
			name string
			q    tracestore.Query
			want []int
		}{
			{"service of the root", tracestore.Query{Service: "web", Limit: 3}, []int{40, 39, 38}},
			{"service of a child", tracestore.Query{Service: "rare"}, []int{40, 35, 30, 25, 20, 15, 10, 5}},
			{"unknown service", tracestore.Query{Service: "nope"}, nil},
			{"operation", tracestore.Query{Operation: "op1", Limit: 4}, []int{40, 37, 34, 31}},
			{"operation of a child", tracestore.Query{Operation: "call", Limit: 2}, []int{40, 35}},
			{"service and operation", tracestore.Query{Service: "rare", Operation: "op2"}, []int{35, 20, 5}},
			{"since", tracestore.Query{Since: base.Add(-10 * time.Second)}, seq(10, -1, 10)},
			{"since excludes earlier", tracestore.Query{Since: base.Add(-10*time.Second + 1)}, seq(9, -1, 9)},
			{"since and service", tracestore.Query{Since: base.Add(-20 * time.Second), Service: "rare"}, []int{20, 15, 10, 5}},
		}
		for _, tt := range tests {
			e.sub(tt.name, func(e *env) { e.listed(s, slow, tt.q, tt.want...) })
		}
	}},
}

var errorsTests = []test{
	{"today by Now, latest first", func(e *env) {
		s := e.store(0)
		fill(e, s, 40)
		tests := []struct {
			name string
			q    tracestore.Query
			want []int
		}{
			{"all", tracestore.Query{}, seq(4, 4, 10)},
			{"limit", tracestore.Query{Limit: 2}, []int{4, 8}},
			{"service", tracestore.Query{Service: "rare"}, []int{20, 40}},
			{"operation", tracestore.Query{Operation: "op1"}, []int{4, 16, 28, 40}},
			{"since", tracestore.Query{Since: base.Add(-12 * time.Second)}, []int{4, 8, 12}},
			{"today named", tracestore.Query{Day: "2031-05-20", Limit: 1}, []int{4}},
			{"a day without errors", tracestore.Query{Day: "2031-05-19"}, nil},
		}
		for _, tt := range tests {
			e.sub(tt.name, func(e *env) { e.listed(s, errs, tt.q, tt.want...) })
		}
		m := e.summary(s, tid(8))
		if m.Errors != 1 || m.Error != "failed" || m.Spans != 2 {
			e.Fatalf("summary of a failed trace: %+v", m)
		}
	}},
	{"by UTC day", func(e *env) {
		s := e.store(72 * time.Hour)
		e.put(s, failed(span(1, 1, 0, "web", "a", -13*time.Hour, time.Second), "a"))               // 05-19 23:00Z
		e.put(s, failed(span(2, 1, 0, "web", "b", 11*time.Hour+30*time.Minute, time.Second), "b")) // 05-20 23:30Z
		c := failed(span(3, 1, 0, "web", "c", -11*time.Hour-30*time.Minute, time.Second), "c")     // 05-20 00:30Z
		c.Start = c.Start.In(time.FixedZone("EST", -5*3600))                                       // 05-19 19:30 there
		e.put(s, c)
		e.put(s, span(4, 1, 0, "web", "d", 0, time.Second)) // succeeded
		e.put(s, span(5, 1, 0, "web", "e", 12*time.Hour+10*time.Minute, time.Second),
			failed(span(5, 2, 1, "db", "e", 12*time.Hour+11*time.Minute, time.Millisecond), "e")) // 05-21 00:10Z
		e.listed(s, errs, tracestore.Query{}, 2, 3)
		e.listed(s, errs, tracestore.Query{Day: "2031-05-19"}, 1)
		e.listed(s, errs, tracestore.Query{Day: "2031-05-21"}, 5)
		e.listed(s, errs, tracestore.Query{Day: "2031-05-18"})
		e.clock.advance(24 * time.Hour)
		e.listed(s, errs, tracestore.Query{}, 5)
	}},
	{"bad day", func(e *env) {
		s := e.store(0)
		for _, day := range []string{"20-05-2031", "2031-02-30", "today", "2031-05-20T00:00:00Z"} {
			if got, err := s.Errors(ctx(), tracestore.Query{Day: day}); err == nil {
				e.Fatalf("Errors(Day %q) = %d traces, nil error", day, len(got))
			}
		}
	}},
}

var recentTests = []test{
	{"latest first", func(e *env) {
		s := e.store(0)
		fill(e, s, 131)
		tests := []struct {
			name string
			q    tracestore.Query
			want []int
		}{
			{"default limit", tracestore.Query{}, seq(1, 1, tracestore.DefaultLimit)},
			{"limit", tracestore.Query{Limit: 3}, []int{1, 2, 3}},
			{"max limit", tracestore.Query{Limit: 1000}, seq(1, 1, tracestore.MaxLimit)},
			{"service", tracestore.Query{Service: "rare", Limit: 2}, []int{5, 10}},
			{"operation", tracestore.Query{Operation: "op0", Limit: 3}, []int{3, 6, 9}},
			{"since", tracestore.Query{Since: base.Add(-3 * time.Second)}, []int{1, 2, 3}},
		}
		for _, tt := range tests {
			e.sub(tt.name, func(e *env) { e.listed(s, recent, tt.q, tt.want...) })
		}
	}},
}
