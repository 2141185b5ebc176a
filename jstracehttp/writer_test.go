package jstracehttp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// optional lists which optional ResponseWriter methods w has.
func optional(w http.ResponseWriter) map[string]bool {
	_, f := w.(http.Flusher)
	_, h := w.(http.Hijacker)
	_, rf := w.(io.ReaderFrom)
	_, p := w.(http.Pusher)
	_, fe := w.(interface{ FlushError() error })
	return map[string]bool{"Flush": f, "FlushError": fe, "Hijack": h, "ReadFrom": rf, "Push": p}
}

// plainWriter has none of the optional methods.
type plainWriter struct{ h http.Header }

func (w plainWriter) Header() http.Header       { return w.h }
func (plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (plainWriter) WriteHeader(int)             {}

// hijackOnly has Hijack alone.
type hijackOnly struct{ plainWriter }

func (hijackOnly) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}

// The traced writer has exactly the optional methods of the one it wraps,
// for net/http's HTTP/1 and HTTP/2 writers and writers with fewer.
func TestWriterKeepsOptionalMethods(t *testing.T) {
	listen(t, "http:") // the writer is only wrapped while someone listens
	for _, tc := range []struct {
		name string
		w    http.ResponseWriter
	}{
		{"plain", &plainWriter{http.Header{}}},
		{"hijack only", &hijackOnly{plainWriter{http.Header{}}}},
		{"ResponseRecorder", httptest.NewRecorder()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertSame(t, tc.w, func(h http.Handler) { h.ServeHTTP(tc.w, httptest.NewRequest("GET", "/", nil)) })
		})
	}
	for _, http2 := range []bool{false, true} {
		name := map[bool]string{false: "HTTP/1", true: "HTTP/2"}[http2]
		t.Run(name, func(t *testing.T) {
			var inner http.ResponseWriter
			var h http.Handler
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = w
				h.ServeHTTP(w, r)
			}))
			srv.EnableHTTP2 = http2
			srv.StartTLS()
			defer srv.Close()
			assertSame(t, nil, func(x http.Handler) {
				h = x
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.ProtoMajor != map[bool]int{false: 1, true: 2}[http2] {
					t.Errorf("protocol %s", resp.Proto)
				}
			})
			if inner == nil {
				t.Fatal("handler not run")
			}
		})
	}
}

// assertSame runs the handler run gets (Middleware around a check) and
// fails unless the traced writer's optional methods are the wrapped
// writer's (inner; nil: the one the check's caller passed).
func assertSame(t *testing.T, inner http.ResponseWriter, run func(http.Handler)) {
	t.Helper()
	ran := false
	run(http.HandlerFunc(func(outer http.ResponseWriter, r *http.Request) {
		in := inner
		if in == nil {
			in = outer
		}
		jstracehttp.Middleware(jstracehttp.Layer("outer", passthrough)(jstracehttp.HandlerFunc("check", func(w http.ResponseWriter, r *http.Request) {
			ran = true
			if w == in {
				t.Error("writer not wrapped while listening")
			}
			got, want := optional(w), optional(in)
			// FlushError comes with Flush: ResponseController.Flush uses either.
			want["FlushError"] = want["FlushError"] || want["Flush"]
			for m := range want {
				if got[m] != want[m] {
					t.Errorf("%s: traced writer has it %v, wrapped writer %v", m, got[m], want[m])
				}
			}
			if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != in {
				t.Error("Unwrap does not return the wrapped writer: layers wrapped it again")
			}
		}))).ServeHTTP(outer, r)
	}))
	if !ran {
		t.Fatal("handler not run")
	}
}

// A websocket-style upgrade: the handler hijacks the connection, writes
// the 101 response and echoes a line; the request's async part runs from
// the hijack to the connection's close.
func TestHijack(t *testing.T) {
	rec := listen(t, "http:")
	closed, returned := make(chan struct{}), make(chan struct{})
	h := jstracehttp.Middleware(jstracehttp.HandlerFunc("ws", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		go func() {
			defer close(closed)
			defer conn.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			brw.Flush()
			line, err := brw.ReadString('\n')
			if err != nil {
				t.Errorf("server read: %v", err)
				return
			}
			conn.Write([]byte("echo " + line))
		}()
	}))
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		h.ServeHTTP(w, r)
	}))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	io.WriteString(conn, "hi\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo hi\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	<-closed
	<-returned
	check(t, rec.one(t, "http:request:end"), map[string]any{"hijacked": true, "status": 0})
	for _, ch := range []string{"http:request", "http:layer"} {
		rec.one(t, ch+":asyncStart")
		check(t, rec.one(t, ch+":asyncEnd"), map[string]any{"layer": "ws"})
	}
	if n := len(rec.named("http:request:error")); n != 0 {
		t.Errorf("%d errors for a hijacked connection", n)
	}
}

// A streamed response reaches the client chunk by chunk through the
// traced writer's Flush, and its bytes are counted.
func TestStreamFlush(t *testing.T) {
	rec := listen(t, "http:")
	next := make(chan struct{})
	srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			io.WriteString(w, strings.Repeat("x", i+1)+"\n")
			w.(http.Flusher).Flush()
			<-next // the client read the chunk before the next is written
		}
	})))
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != strings.Repeat("x", i+1)+"\n" {
			t.Fatalf("chunk %d: %q, %v", i, line, err)
		}
		next <- struct{}{}
	}
	io.Copy(io.Discard, br)
	srv.Close()
	check(t, rec.one(t, "http:request:end"), map[string]any{"status": 200, "bytes": 9})
}

// io.Copy from a file goes through the wrapped writer's ReadFrom (the
// count is the file's size), and ResponseController reaches the wrapped
// writer's SetWriteDeadline through Unwrap.
func TestReadFromAndResponseController(t *testing.T) {
	rec := listen(t, "http:")
	path := filepath.Join(t.TempDir(), "f")
	content := strings.Repeat("0123456789", 10000)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("no ReadFrom")
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := io.Copy(w, f); err != nil {
			t.Error(err)
		}
	})))
	_, body := get(t, srv, "/", nil)
	if body != content {
		t.Fatalf("body of %d bytes, want %d", len(body), len(content))
	}
	srv.Close()
	check(t, rec.one(t, "http:request:end"), map[string]any{"status": 200, "bytes": len(content)})
}

// readFromWriter records that its ReadFrom ran.
type readFromWriter struct {
	plainWriter
	n int64
}

func (w *readFromWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(io.Discard, r)
	w.n += n
	return n, err
}

// io.Copy to the traced writer reaches the wrapped writer's ReadFrom (net/http's
// sendfile path), and counts its bytes.
func TestReadFromDelegates(t *testing.T) {
	rec := listen(t, "http:")
	inner := &readFromWriter{plainWriter: plainWriter{http.Header{}}}
	jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, struct{ io.Reader }{strings.NewReader("twelve bytes")}) // no WriterTo: io.Copy then prefers w.ReadFrom
	})).ServeHTTP(inner, httptest.NewRequest("GET", "/", nil))
	if inner.n != 12 {
		t.Fatalf("wrapped ReadFrom got %d bytes, want 12", inner.n)
	}
	check(t, rec.one(t, "http:request:end"), map[string]any{"status": 200, "bytes": 12})
}
