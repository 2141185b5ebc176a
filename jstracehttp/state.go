package jstracehttp

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/jstrace-go/jstrace"
)

// state is one traced request's bookkeeping, in its context while a
// session listens: the layers running (innermost last), the errors they
// reported, and the route. The handler's goroutine changes it; Error and
// Async may be called from others, hence the mutex.
type state struct {
	mu        sync.Mutex
	req       jstrace.Op // the request's, zero without Middleware
	stack     []*frame
	errs      []reported // at most maxErrors
	dropped   int        // errors beyond maxErrors, counted on the end event
	route     string
	unwinding bool // a panic going up the frames has been recorded
	hijacked  bool
	done      bool // finish ran: errors fire at once

	// Room for the common case, saving allocations.
	rec      recorder // the outermost frame's
	nframes  int
	frameBuf [4]frame
	stackBuf [4]*frame
}

// newState returns the state of a request whose outermost traced frame
// sees w.
func newState(w http.ResponseWriter) *state {
	st := &state{}
	st.stack = st.stackBuf[:0]
	st.rec = recorder{w: w, st: st}
	return st
}

// newFrame returns a frame for the layer called name.
func (st *state) newFrame(name string) *frame {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.nframes == len(st.frameBuf) {
		return &frame{name: name}
	}
	f := &st.frameBuf[st.nframes]
	st.nframes++
	f.name = name
	return f
}

// A frame is one layer's run.
type frame struct {
	name string
	op   jstrace.Op
}

// reported is an error waiting for the request's end, when whether it was
// handled is known.
type reported struct {
	err error
	f   *frame // nil: reported outside every layer
}

type stateKey struct{}

func withState(r *http.Request, st *state) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

// stateOf returns ctx's state, nil if none (or ctx is nil).
func stateOf(ctx context.Context) *state {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

func (st *state) setRoute(pattern string) {
	if pattern == "" {
		return
	}
	st.mu.Lock()
	st.route = pattern
	st.mu.Unlock()
}

func (st *state) getRoute() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.route
}

func (st *state) push(f *frame) {
	st.mu.Lock()
	st.stack = append(st.stack, f)
	st.mu.Unlock()
}

func (st *state) pop() {
	st.mu.Lock()
	st.stack = st.stack[:len(st.stack)-1]
	st.mu.Unlock()
}

// top returns the innermost running layer, nil if none.
func (st *state) top() *frame {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.stack) == 0 {
		return nil
	}
	return st.stack[len(st.stack)-1]
}

// maxErrors is how many errors a request keeps until it ends; more are
// counted (field errors_dropped of its end event), so a handler reporting
// in a loop cannot grow the request without limit.
const maxErrors = 32

// keep records e, or counts it if maxErrors are kept. st.mu is held.
func (st *state) keep(e reported) {
	if len(st.errs) >= maxErrors {
		st.dropped++
		return
	}
	st.errs = append(st.errs, e)
}

// report records err against the innermost running layer, or fires it at
// once (unhandled) if the request has ended or its connection was
// hijacked (the response is gone; the handler may run for hours).
func (st *state) report(err error) {
	st.mu.Lock()
	if !st.done && !st.hijacked {
		var f *frame
		if len(st.stack) > 0 {
			f = st.stack[len(st.stack)-1]
		}
		st.keep(reported{err, f})
		st.mu.Unlock()
		return
	}
	var f *frame
	if !st.done && len(st.stack) > 0 {
		f = st.stack[len(st.stack)-1]
	}
	route := st.route
	st.mu.Unlock()
	st.fire(reported{err: err, f: f}, route, false)
}

// unwound is called as a frame (f, nil for the request's) returns: p is
// the panic going through it, nil if it returned normally or by
// runtime.Goexit. A panic is recorded on the innermost frame it leaves,
// once; a frame returning normally means whatever panicked below was
// recovered.
func (st *state) unwound(f *frame, p any) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if p == nil {
		st.unwinding = false
		return
	}
	if st.unwinding {
		return
	}
	st.unwinding = true
	st.keep(reported{&PanicError{Value: p}, f})
}

// close ends the request's collection of errors, once its outcome is
// known: it returns the errors kept and how many were dropped beyond
// maxErrors; errors reported later fire at once.
func (st *state) close() (errs []reported, dropped int) {
	st.mu.Lock()
	errs, dropped = st.errs, st.dropped
	st.errs, st.done = nil, true
	st.mu.Unlock()
	return errs, dropped
}

// fireAll fires errs, the errors close returned: handled unless a panic
// escaped or the response is a server error (5xx). A 5xx response
// without any reported error fires an error of its own, [StatusError],
// on the request's channel.
func (st *state) fireAll(errs []reported, route string, status int, hijacked, escaped bool) {
	handled := !escaped && status < 500
	for _, e := range errs {
		st.fire(e, route, handled)
	}
	if len(errs) == 0 && status >= 500 && !hijacked {
		st.req.Error(StatusError(status), false, "layer", "", "route", route)
	}
}

// fire emits e on its layer (if any) and on the request.
func (st *state) fire(e reported, route string, handled bool) {
	layer := ""
	if e.f != nil {
		layer = e.f.name
		e.f.op.Error(e.err, handled, "layer", layer, "route", route)
	}
	st.req.Error(e.err, handled, "layer", layer, "route", route)
}

// A PanicError is the error a handler's panic is reported as, on the
// layer it left first and on the request. Unwrap returns the panic value
// if it is an error (so errors.Is(err, http.ErrAbortHandler) holds for an
// aborted handler). It is not modified once fired: safe to read from any
// goroutine.
type PanicError struct {
	Value any // as recovered
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error, else nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// StatusError is the error a request answered with a server error (a 5xx
// status) fires on http:request:error, and fails its server span with,
// when no handler reported one; a client span fails with it for a status
// of 400 or more. It is a value, safe for concurrent use.
type StatusError int

func (e StatusError) Error() string {
	return fmt.Sprintf("http status %d %s", int(e), http.StatusText(int(e)))
}
