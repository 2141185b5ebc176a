package storetest

import (
	"fmt"
	"math/rand"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

var putTests = []test{
	{"trace ordered by start then span id", func(e *env) {
		s := e.store(0)
		spans := []tracestore.Span{
			span(1, 4, 2, "db", "query", 30*time.Millisecond, 5*time.Millisecond),
			span(1, 3, 1, "pay", "charge", 10*time.Millisecond, 20*time.Millisecond),
			span(1, 1, 0, "web", "GET /", 0, 50*time.Millisecond),
			span(1, 2, 1, "pay", "authorize", 10*time.Millisecond, 40*time.Millisecond),
		}
		spans[1].Host, spans[1].Tags = "pay-1", []tracestore.Tag{{Key: "amount", Value: "12.50"}, {Key: "currency", Value: "EUR"}}
		spans[0].Logs = []tracestore.Log{{Time: base.Add(31 * time.Millisecond), Message: "slow plan", Fields: []tracestore.Tag{{Key: "rows", Value: "9000"}}}}
		spans[3] = failed(spans[3], "card declined")
		e.put(s, spans...)
		e.trace(s, tid(1), []tracestore.Span{spans[2], spans[3], spans[1], spans[0]})
	}},
	{"start in another zone", func(e *env) {
		s := e.store(0)
		sp := span(1, 1, 0, "web", "GET /", 0, time.Second)
		sp.Start = sp.Start.In(time.FixedZone("X", -5*3600)).Add(123 * time.Nanosecond)
		e.put(s, sp)
		e.trace(s, tid(1), []tracestore.Span{sp})
	}},
	{"re-put and duplicates in a batch", func(e *env) {
		s := e.store(0)
		spans := append(simple(1, "web", "GET /", 0, time.Second), failed(span(1, 3, 1, "pay", "charge", 0, time.Millisecond), "no"))
		e.put(s, spans...)
		e.put(s, spans...)
		e.put(s, spans[2], spans[2], spans[0])
		e.trace(s, tid(1), byStart(spans))
		m := e.summary(s, tid(1))
		if m.Spans != 3 || m.Errors != 1 {
			e.Fatalf("summary counts %d spans, %d errors; want 3, 1", m.Spans, m.Errors)
		}
	}},
	{"two collectors concurrently", func(e *env) {
		stores := []tracestore.Store{e.store(0), e.store(0)}
		const traces, perTrace, workers = 12, 20, 8
		var all []tracestore.Span
		for tr := 1; tr <= traces; tr++ {
			all = append(all, span(tr, 1, 0, "web", "GET /", time.Duration(tr)*time.Millisecond, time.Second+time.Duration(tr)*time.Millisecond))
			for i := 2; i <= perTrace; i++ {
				sp := span(tr, i, 1, fmt.Sprintf("svc%d", i%4), "op", time.Duration(tr+i)*time.Millisecond, time.Millisecond)
				if i%7 == 0 {
					sp = failed(sp, "boom")
				}
				all = append(all, sp)
			}
		}
		var wg sync.WaitGroup
		errc := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				mine := append([]tracestore.Span(nil), all...)
				rand.New(rand.NewSource(int64(w))).Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
				for len(mine) > 0 {
					n := min(len(mine), 1+w*5)
					if err := stores[w%2].Put(ctx(), mine[:n]); err != nil {
						errc <- err
						return
					}
					mine = mine[n:]
				}
			}(w)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			e.Fatalf("concurrent Put: %v", err)
		}
		for tr := 1; tr <= traces; tr++ {
			e.trace(stores[tr%2], tid(tr), byStart(all[(tr-1)*perTrace:tr*perTrace]))
			m := e.summary(stores[0], tid(tr))
			if m.Spans != perTrace || m.Errors != 2 || !m.Root {
				e.Fatalf("trace %d summary: %d spans, %d errors, root %v; want %d, 2, true", tr, m.Spans, m.Errors, m.Root, perTrace)
			}
		}
		e.listed(stores[1], slow, tracestore.Query{Limit: 3}, traces, traces-1, traces-2)
	}},
	{"not found", func(e *env) {
		s := e.store(0)
		e.put(s, simple(1, "web", "GET /", 0, time.Second)...)
		e.gone(s, tid(2))
		if got, err := s.Trace(ctx(), "not-a-trace-id"); err == nil {
			e.Fatalf("Trace(not-a-trace-id) = %d spans, nil error", len(got))
		}
	}},
}

var assembleTests = []test{
	{"out of order, late, root last", func(e *env) {
		s := e.store(0)
		root := span(1, 1, 0, "web", "GET /order", 0, 100*time.Millisecond)
		a := span(1, 2, 1, "orders", "load", 5*time.Millisecond, 10*time.Millisecond)
		b := failed(span(1, 3, 2, "db", "select", 6*time.Millisecond, 8*time.Millisecond), "deadlock")
		c := failed(span(1, 4, 1, "pay", "charge", 20*time.Millisecond, 60*time.Millisecond), "declined")
		late := span(1, 5, 4, "bank", "call", 30*time.Millisecond, 70*time.Millisecond)
		e.put(s, c)
		e.put(s, b)
		e.sameSummary(e.summary(s, tid(1)), tracestore.Summary{
			TraceID: tid(1), Service: "db", Operation: "select", Start: b.Start,
			Duration: 74 * time.Millisecond, Spans: 2, Errors: 2, Error: "deadlock",
			Services: []string{"db", "pay"},
		})
		e.put(s, a)
		e.put(s, late)
		e.sameSummary(e.summary(s, tid(1)), tracestore.Summary{
			TraceID: tid(1), Service: "orders", Operation: "load", Start: a.Start,
			Duration: 95 * time.Millisecond, Spans: 4, Errors: 2, Error: "deadlock",
			Services: []string{"bank", "db", "orders", "pay"},
		})
		e.put(s, root)
		e.sameSummary(e.summary(s, tid(1)), tracestore.Summary{
			TraceID: tid(1), Service: "web", Operation: "GET /order", Start: root.Start,
			Duration: 100 * time.Millisecond, Spans: 5, Errors: 2, Error: "deadlock",
			Services: []string{"bank", "db", "orders", "pay", "web"}, Root: true,
		})
		e.trace(s, tid(1), []tracestore.Span{root, a, b, c, late})
		e.listed(s, slow, tracestore.Query{Service: "web"}, 1)
	}},
	{"root starting after a child", func(e *env) {
		s := e.store(0)
		child := span(1, 2, 1, "db", "q", -time.Millisecond, time.Millisecond)
		root := span(1, 1, 0, "web", "GET /", 0, 30*time.Millisecond)
		e.put(s, child)
		e.put(s, root)
		e.sameSummary(e.summary(s, tid(1)), tracestore.Summary{
			TraceID: tid(1), Service: "web", Operation: "GET /", Start: child.Start,
			Duration: 30 * time.Millisecond, Spans: 2, Services: []string{"db", "web"}, Root: true,
		})
	}},
	{"spans of many traces in one batch", func(e *env) {
		s := e.store(0)
		var batch []tracestore.Span
		for tr := 1; tr <= 30; tr++ {
			batch = append(batch, simple(tr, "web", "GET /", time.Duration(tr)*time.Millisecond, time.Duration(tr)*time.Millisecond)...)
		}
		rand.New(rand.NewSource(1)).Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		e.put(s, batch...)
		for tr := 1; tr <= 30; tr++ {
			e.trace(s, tid(tr), simple(tr, "web", "GET /", time.Duration(tr)*time.Millisecond, time.Duration(tr)*time.Millisecond))
		}
		e.listed(s, slow, tracestore.Query{Limit: 2}, 30, 29)
	}},
	{"empty batch", func(e *env) {
		s := e.store(0)
		e.put(s)
		e.listed(s, recent, tracestore.Query{})
	}},
}

var invalidTests = func() []test {
	good := span(9, 1, 0, "web", "GET /", 0, time.Second)
	bad := []struct {
		name string
		edit func(*tracestore.Span)
	}{
		{"empty trace id", func(s *tracestore.Span) { s.TraceID = "" }},
		{"short trace id", func(s *tracestore.Span) { s.TraceID = s.TraceID[2:] }},
		{"uppercase trace id", func(s *tracestore.Span) { s.TraceID = "7ACE" + s.TraceID[4:] }},
		{"non-hex trace id", func(s *tracestore.Span) { s.TraceID = "zz" + s.TraceID[2:] }},
		{"zero trace id", func(s *tracestore.Span) { s.TraceID = "00000000000000000000000000000000" }},
		{"empty span id", func(s *tracestore.Span) { s.SpanID = "" }},
		{"long span id", func(s *tracestore.Span) { s.SpanID += "0" }},
		{"bad parent id", func(s *tracestore.Span) { s.ParentID = "parent" }},
		{"negative duration", func(s *tracestore.Span) { s.Duration = -time.Nanosecond }},
	}
	var tests []test
	for _, b := range bad {
		tests = append(tests, test{b.name + " refuses the batch", func(e *env) {
			s := e.store(0)
			sp := span(1, 2, 1, "web", "GET /", 0, time.Second)
			b.edit(&sp)
			err := s.Put(ctx(), []tracestore.Span{good, sp})
			if !isInvalid(err) {
				e.Fatalf("Put(%+v) = %v, want an error wrapping ErrInvalid", sp, err)
			}
			e.gone(s, good.TraceID)
			e.listed(s, recent, tracestore.Query{})
		}})
	}
	return tests
}()
