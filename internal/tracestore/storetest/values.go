package storetest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

func isInvalid(err error) bool { return errors.Is(err, tracestore.ErrInvalid) }

var valueTests = []test{
	{"big tag and log values", func(e *env) {
		s := e.store(0)
		sp := span(1, 1, 0, "web", "upload", 0, time.Second)
		sp.Tags = []tracestore.Tag{{Key: "body", Value: strings.Repeat("0123456789abcdef", 1<<16)}} // 1 MiB
		for i := 0; i < 500; i++ {
			sp.Tags = append(sp.Tags, tracestore.Tag{Key: fmt.Sprintf("k%03d", i), Value: fmt.Sprint(i)})
		}
		sp.Logs = []tracestore.Log{{Time: base.Add(time.Millisecond), Message: strings.Repeat("log ", 64<<10),
			Fields: []tracestore.Tag{{Key: "f", Value: strings.Repeat("v", 100<<10)}}}}
		sp.Error = strings.Repeat("e", 32<<10)
		e.put(s, sp)
		e.trace(s, tid(1), []tracestore.Span{sp})
	}},
	{"unicode and odd characters", func(e *env) {
		s := e.store(0)
		svc := "café-服务-😀"
		sp := span(1, 1, 0, svc, "GET /ünïcödé/\"quoted\"\n\ttab", 0, time.Second)
		sp = failed(sp, "échec: ошибка 🔥 'x' %s \\ \x01")
		sp.Host = "hôte"
		sp.Tags = []tracestore.Tag{{Key: "ключ", Value: "مرحبا"}, {Key: "", Value: ""}, {Key: "json", Value: `{"a":[1,2]}`}}
		sp.Logs = []tracestore.Log{{Time: base, Message: "日本語"}}
		e.put(s, sp)
		e.trace(s, tid(1), []tracestore.Span{sp})
		e.listed(s, slow, tracestore.Query{Service: svc}, 1)
		e.listed(s, errs, tracestore.Query{Operation: sp.Operation}, 1)
		m := e.summary(s, tid(1))
		if m.Service != svc || m.Error != sp.Error {
			e.Fatalf("summary service %q error %q; want %q, %q", m.Service, m.Error, svc, sp.Error)
		}
	}},
	{"zero values", func(e *env) {
		s := e.store(0)
		sp := tracestore.Span{TraceID: tid(1), SpanID: sid(1), Start: base}
		e.put(s, sp)
		e.trace(s, tid(1), []tracestore.Span{sp})
	}},
}
