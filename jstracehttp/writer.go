package jstracehttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// A recorder wraps a traced request's ResponseWriter to see its status and
// size. It exists only while someone listens. Through wrap, it has
// exactly the optional methods of the writer it wraps (Flush, Hijack,
// ReadFrom, Push; FlushError with Flush) plus Unwrap for http.ResponseController, so nothing
// that checks for them (a websocket upgrade, io.Copy's sendfile) changes
// behaviour. Like the writer it wraps, it is used by the handler's
// goroutine.
type recorder struct {
	w      http.ResponseWriter
	st     *state
	status int   // the final status written, 0 before
	n      int64 // body bytes written
}

func newRecorder(w http.ResponseWriter, st *state) *recorder {
	return &recorder{w: w, st: st}
}

// recorderOf returns w's recorder if w is one of ours, else nil.
func recorderOf(w http.ResponseWriter) *recorder {
	if x, ok := w.(interface{ jstraceRecorder() *recorder }); ok {
		return x.jstraceRecorder()
	}
	return nil
}

// jstraceRecorder finds the recorder in any of wrap's compositions (a
// method named as the embedded field would be hidden by it).
func (r *recorder) jstraceRecorder() *recorder { return r }

// Header implements http.ResponseWriter.
func (r *recorder) Header() http.Header { return r.w.Header() }

// WriteHeader implements http.ResponseWriter. Informational statuses
// (1xx other than 101) are not the response's status.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.status = code
	}
	r.w.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(b []byte) (int, error) {
	r.implicit()
	n, err := r.w.Write(b)
	r.n += int64(n)
	return n, err
}

// WriteString saves Write's conversion for io.WriteString.
func (r *recorder) WriteString(s string) (int, error) {
	r.implicit()
	n, err := io.WriteString(r.w, s)
	r.n += int64(n)
	return n, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// implicit records the 200 net/http sends when the body starts first.
func (r *recorder) implicit() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
}

// sofar returns the status and size written so far.
func (r *recorder) sofar() (status int, bytes int64) { return r.status, r.n }

// final returns the response's status, size and whether the connection
// was hijacked, once the handler returned: a handler that wrote nothing
// sent 200, unless it panicked (net/http then aborts the response) or
// hijacked the connection.
func (r *recorder) final(panicked bool) (status int, bytes int64, hijacked bool) {
	r.st.mu.Lock()
	hijacked = r.st.hijacked
	r.st.mu.Unlock()
	if r.status == 0 && !panicked && !hijacked {
		r.status = http.StatusOK
	}
	return r.status, r.n, hijacked
}

// The optional methods, one carrier type each; wrap composes those the
// wrapped writer has.
type (
	flusher    struct{ *recorder }
	hijacker   struct{ *recorder }
	readerFrom struct{ *recorder }
	pusher     struct{ *recorder }
)

func (f flusher) Flush() {
	f.implicit()
	f.w.(http.Flusher).Flush()
}

// FlushError is what http.ResponseController.Flush prefers: it returns the
// wrapped writer's write error (net/http's writer has FlushError), nil if
// the wrapped writer has only Flush.
func (f flusher) FlushError() error {
	f.implicit()
	if fe, ok := f.w.(interface{ FlushError() error }); ok {
		return fe.FlushError()
	}
	f.w.(http.Flusher).Flush()
	return nil
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := h.w.(http.Hijacker).Hijack()
	if err != nil {
		return c, brw, err
	}
	return h.st.hijack(c), brw, nil
}

func (f readerFrom) ReadFrom(src io.Reader) (int64, error) {
	f.implicit()
	n, err := f.w.(io.ReaderFrom).ReadFrom(src)
	f.n += n
	return n, err
}

func (p pusher) Push(target string, opts *http.PushOptions) error {
	return p.w.(http.Pusher).Push(target, opts)
}

// wrap returns r with the optional methods of the writer it wraps.
func (r *recorder) wrap() http.ResponseWriter {
	var k int
	if _, ok := r.w.(http.Flusher); ok {
		k |= 1
	}
	if _, ok := r.w.(http.Hijacker); ok {
		k |= 2
	}
	if _, ok := r.w.(io.ReaderFrom); ok {
		k |= 4
	}
	if _, ok := r.w.(http.Pusher); ok {
		k |= 8
	}
	f, h, rf, p := flusher{r}, hijacker{r}, readerFrom{r}, pusher{r}
	switch k {
	case 1:
		return struct {
			*recorder
			flusher
		}{r, f}
	case 2:
		return struct {
			*recorder
			hijacker
		}{r, h}
	case 3:
		return struct {
			*recorder
			flusher
			hijacker
		}{r, f, h}
	case 4:
		return struct {
			*recorder
			readerFrom
		}{r, rf}
	case 5:
		return struct {
			*recorder
			flusher
			readerFrom
		}{r, f, rf}
	case 6:
		return struct {
			*recorder
			hijacker
			readerFrom
		}{r, h, rf}
	case 7: // net/http's HTTP/1 writer
		return struct {
			*recorder
			flusher
			hijacker
			readerFrom
		}{r, f, h, rf}
	case 8:
		return struct {
			*recorder
			pusher
		}{r, p}
	case 9: // net/http's HTTP/2 writer
		return struct {
			*recorder
			flusher
			pusher
		}{r, f, p}
	case 10:
		return struct {
			*recorder
			hijacker
			pusher
		}{r, h, p}
	case 11:
		return struct {
			*recorder
			flusher
			hijacker
			pusher
		}{r, f, h, p}
	case 12:
		return struct {
			*recorder
			readerFrom
			pusher
		}{r, rf, p}
	case 13:
		return struct {
			*recorder
			flusher
			readerFrom
			pusher
		}{r, f, rf, p}
	case 14:
		return struct {
			*recorder
			hijacker
			readerFrom
			pusher
		}{r, h, rf, p}
	case 15:
		return struct {
			*recorder
			flusher
			hijacker
			readerFrom
			pusher
		}{r, f, h, rf, p}
	}
	return r
}

// hijack records that the handler took the connection over: the
// request's async part, from here until c is closed (asyncStart now,
// asyncEnd at Close) on the request and the innermost layer running. Only
// the first of nested recorders to see the hijack wraps c.
func (st *state) hijack(c net.Conn) net.Conn {
	st.mu.Lock()
	first := !st.hijacked
	st.hijacked = true
	st.mu.Unlock()
	if !first {
		return c
	}
	f := st.top()
	st.asyncStart(f)
	return wrapConn(&hijackedConn{Conn: c, end: func() { st.asyncEnd(f, nil) }})
}
