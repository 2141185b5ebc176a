package jstracehttp

import (
	"context"
	"net/http"
	"sync"

	"github.com/jstrace-go/jstrace"
)

// layerCh is the lifecycle of every layer wrapped by Handler or Layer.
var layerCh = jstrace.NewChannel("http:layer")

// Handler returns h traced as the layer called name: while a session or
// subscriber listens to http:layer, each run fires http:layer:start and
// :end (see the package documentation for fields), and a panic in h, or an
// error h reports with [Error], fires http:layer:error on this layer. While
// nobody listens it calls h after the channel's atomic loads. The handler
// it returns is safe for concurrent use if h is.
func Handler(name string, h http.Handler) http.Handler {
	return &layer{name: name, next: h}
}

// HandlerFunc is Handler for a function.
func HandlerFunc(name string, f func(http.ResponseWriter, *http.Request)) http.Handler {
	return Handler(name, http.HandlerFunc(f))
}

// Layer returns the middleware mw traced as the layer called name: its
// run, from entering mw's handler to leaving it, inner layers included, is
// one http:layer operation (see [Handler]). Chain it as mw would be:
//
//	h := jstracehttp.Layer("auth", auth)(jstracehttp.Handler("users", users))
func Layer(name string, mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return Handler(name, mw(next))
	}
}

type layer struct {
	name string
	next http.Handler
}

func (l *layer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !layerCh.Enabled() {
		l.next.ServeHTTP(w, r)
		return
	}
	l.serve(w, r)
}

// serve runs the layer traced. Without Middleware in front, the outermost
// layer stands in for it: it keeps the request's state and fires the
// errors when the request ends.
func (l *layer) serve(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r.Context())
	root := st == nil
	var rec *recorder
	if root {
		st = newState(w)
		r = withState(r, st)
		rec = &st.rec
		w = rec.wrap()
	} else if rec = recorderOf(w); rec == nil || rec.st != st {
		rec = newRecorder(w, st) // another wrapper came between
		w = rec.wrap()
	}
	st.setRoute(r.Pattern)
	f := st.newFrame(l.name)
	f.op = layerCh.Start(r.Context(), "layer", l.name, "method", r.Method, "path", r.URL.Path, "route", r.Pattern)
	st.push(f)
	normal := false
	defer func() {
		var p any
		if !normal {
			p = recover()
		}
		st.unwound(f, p)
		st.pop()
		st.setRoute(r.Pattern)
		route := st.getRoute()
		if root {
			status, bytes, hijacked := rec.final(p != nil)
			// End, then the errors, as with Middleware (see the package
			// documentation).
			errs, dropped := st.close()
			if dropped > 0 {
				f.op.End("layer", l.name, "route", route, "status", status, "bytes", bytes, "errors_dropped", dropped)
			} else {
				f.op.End("layer", l.name, "route", route, "status", status, "bytes", bytes)
			}
			st.fireAll(errs, route, status, hijacked, p != nil)
		} else {
			status, bytes := rec.sofar()
			f.op.End("layer", l.name, "route", route, "status", status, "bytes", bytes)
		}
		if p != nil {
			panic(p)
		}
	}()
	l.next.ServeHTTP(w, r)
	normal = true
}

// Error reports err, which the handler running with ctx (a request's
// context, or one derived from it) met, as an error of the innermost
// layer running: it fires http:layer:error on that layer and
// http:request:error when the request ends, with "handled" true if the
// response was then not a server error (an outer layer answered the error
// with a 4xx, or a fallback) and false if it was (5xx) or a panic escaped.
// After the request has ended it fires at once, unhandled. It does not
// change the response: write it as usual.
//
// While nobody listens, or for a context not from a traced request, it
// does nothing (one context lookup). A nil err or ctx is ignored. Safe to call
// from any goroutine.
func Error(ctx context.Context, err error) {
	if err == nil {
		return
	}
	if st := stateOf(ctx); st != nil {
		st.report(err)
	}
}

// Async marks work the handler running with ctx hands to another
// goroutine (a job it queues, a fan-out it does not wait for): it fires
// asyncStart on the innermost layer running and on the request, and
// returns the function to call when that work ends, which fires error
// (unhandled: the response is gone) if err is not nil, then asyncEnd with
// the duration since the operation started. Call Async on the handler's
// goroutine, before handing the work off; the returned function may be
// called from any goroutine, and only its first call counts.
//
// While nobody listens, or for a nil ctx, it returns a function that does
// nothing, without allocating.
func Async(ctx context.Context) (done func(err error)) {
	st := stateOf(ctx)
	if st == nil {
		return noDone
	}
	f := st.top()
	st.asyncStart(f)
	var once sync.Once
	return func(err error) {
		once.Do(func() { st.asyncEnd(f, err) })
	}
}

func noDone(error) {}

// asyncStart fires asyncStart on f (if not nil) and the request.
func (st *state) asyncStart(f *frame) {
	route := st.getRoute()
	if f != nil {
		f.op.AsyncStart("layer", f.name, "route", route)
	}
	st.req.AsyncStart("layer", name(f), "route", route)
}

// asyncEnd fires error (if err is not nil) and asyncEnd on f (if not nil)
// and the request.
func (st *state) asyncEnd(f *frame, err error) {
	route := st.getRoute()
	if f != nil {
		f.op.Error(err, false, "layer", f.name, "route", route)
		f.op.AsyncEnd("layer", f.name, "route", route)
	}
	st.req.Error(err, false, "layer", name(f), "route", route)
	st.req.AsyncEnd("layer", name(f), "route", route)
}

func name(f *frame) string {
	if f == nil {
		return ""
	}
	return f.name
}
