package jstracesql

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// event is one probe firing as a test saw it, values copied (errors as
// their text).
type event struct {
	name string
	kv   map[string]any
}

// recorder collects the db:* events while a test listens.
type recorder struct {
	mu  sync.Mutex
	evs []event
}

var probeNames = func() []string {
	var names []string
	for _, ch := range []string{"db:query", "db:exec", "db:prepare", "db:begin", "db:commit", "db:rollback"} {
		for _, p := range []string{"start", "end", "asyncStart", "asyncEnd", "error"} {
			names = append(names, ch+":"+p)
		}
	}
	return names
}()

// listen subscribes to every db:* probe until the test ends.
func listen(t testing.TB) *recorder {
	r := &recorder{}
	for _, name := range probeNames {
		sub := jstrace.SubscribeFunc(func(p string) bool { return p == name }, func(e jstrace.Event) {
			kv, _ := e.Args()
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				switch v := kv[i+1].(type) {
				case error:
					m[k] = v.Error()
				case string:
					m[k] = strings.Clone(v)
				case []any:
					m[k] = fmt.Sprint(v)
				default:
					m[k] = keep(v)
				}
			}
			r.mu.Lock()
			r.evs = append(r.evs, event{name: name, kv: m})
			r.mu.Unlock()
		})
		t.Cleanup(sub.Close)
	}
	return r
}

// all returns the events so far named name ("" for all) and forgets none.
func (r *recorder) all(name string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.evs {
		if name == "" || e.name == name {
			out = append(out, e)
		}
	}
	return out
}

// reset forgets the events so far.
func (r *recorder) reset() {
	r.mu.Lock()
	r.evs = nil
	r.mu.Unlock()
}

// find returns the events named name whose statement is stmt.
func (r *recorder) find(name, stmt string) []event {
	var out []event
	for _, e := range r.all(name) {
		if e.kv["statement"] == stmt {
			out = append(out, e)
		}
	}
	return out
}

// names returns the sequence of event names, for order checks.
func (r *recorder) names() []string {
	var out []string
	for _, e := range r.all("") {
		out = append(out, e.name)
	}
	return out
}

// keep copies a value of an event to keep it: a subscriber gets the
// event's values for the duration of the call only (they may live on the
// emitter's stack), so storing v itself would keep a pointer into a stack
// that moves or is freed.
func keep(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	c := reflect.New(rv.Type()).Elem()
	c.Set(rv)
	return c.Interface() // a new copy on the heap
}
