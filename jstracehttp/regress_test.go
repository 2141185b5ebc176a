package jstracehttp_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// Regression tests for review 12's findings.

// http.ResponseController.Flush reports a write error (the client is
// gone) through the traced writer as through net/http's.
func TestFlushErrorLost(t *testing.T) {
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprint("traced=", traced), func(t *testing.T) {
			if traced {
				listen(t, "http:")
			}
			res := make(chan error, 1)
			srv := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := w.(interface{ FlushError() error }); !ok {
					t.Error("writer has no FlushError")
				}
				rc := http.NewResponseController(w)
				w.Write([]byte("x"))
				rc.Flush()
				time.Sleep(100 * time.Millisecond) // the client is gone
				var err error
				for i := 0; i < 20 && err == nil; i++ {
					w.Write(make([]byte, 64<<10))
					err = rc.Flush()
					time.Sleep(10 * time.Millisecond)
				}
				res <- err
			})))
			defer srv.Close()
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			c.Read(make([]byte, 100))
			c.Close()
			if err := <-res; err == nil {
				t.Error("ResponseController.Flush after the client left: nil error")
			}
		})
	}
}
