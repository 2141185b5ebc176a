package jstracehttp_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// Concurrent requests, each reporting an error from another goroutine
// while its handler runs and handing off async work: every request gets
// its own events, each error on its own request, under the race detector.
func TestConcurrentRequests(t *testing.T) {
	rec := listen(t, "http:")
	var work sync.WaitGroup
	srv := serve(t, jstracehttp.Middleware(jstracehttp.Layer("outer", passthrough)(jstracehttp.HandlerFunc("final", func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			jstracehttp.Error(r.Context(), fmt.Errorf("failed %s", r.URL.Path))
		}()
		wg.Wait()
		done := jstracehttp.Async(r.Context())
		work.Add(1)
		go func() {
			defer work.Done()
			done(nil)
		}()
		w.WriteHeader(http.StatusTeapot)
	}))))
	const n = 40
	var clients sync.WaitGroup
	for i := range n {
		clients.Add(1)
		go func() {
			defer clients.Done()
			resp, err := srv.Client().Get(fmt.Sprintf("%s/r%d", srv.URL, i))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	clients.Wait()
	srv.Close()
	work.Wait()
	ids := map[any]bool{}
	for _, e := range rec.named("http:layer:error") {
		if e.fields["layer"] != "final" || e.fields["handled"] != true {
			t.Errorf("error event %v", e)
		}
		ids[e.fields["request_id"]] = true
	}
	if len(ids) != n {
		t.Errorf("errors on %d distinct requests, want %d", len(ids), n)
	}
	for _, name := range []string{"http:request:start", "http:request:end", "http:request:error", "http:request:asyncStart", "http:request:asyncEnd"} {
		if got := len(rec.named(name)); got != n {
			t.Errorf("%d %s events, want %d", got, name, n)
		}
	}
	paths := map[any]any{}
	for _, e := range rec.named("http:request:start") {
		paths[e.fields["request_id"]] = e.fields["path"]
	}
	for _, e := range rec.named("http:layer:error") {
		if want := fmt.Sprint("failed ", paths[e.fields["request_id"]]); fmt.Sprint(e.fields["error"]) != want {
			t.Errorf("error %q on the request of path %v: another request's", e.fields["error"], paths[e.fields["request_id"]])
		}
	}
}
