// Command service is a small HTTP service instrumented with jstrace probes,
// used by the demo, the examples and the integration tests.
//
// It fires request:start and request:end (id, method, path, status,
// duration) for every request, api:buffer (id, size) for every upload and
// request:error (id, err) for every failure, burst:item n times for POST
// /burst?n=N, and embeds the jstrace agent.
// With -load it also sends itself traffic, so there is something to trace.
//
//	go run ./examples/service -load 50
//	jstrace -t service examples/scripts/response-duration.go
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/examples/service/state"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "HTTP listen address")
	load := flag.Float64("load", 0, "requests per second to send to itself")
	maxDelay := flag.Duration("max-delay", 50*time.Millisecond, "longest artificial handler delay")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (for profiling jstrace's cost)")
	enable := flag.String("enable", "", "fire the probe of this name without a session, into a subscription that does nothing (for measuring what enabling a probe alone costs)")
	flag.Parse()
	if *enable != "" {
		defer jstrace.SubscribeFunc(func(name string) bool { return name == *enable }, func(jstrace.Event) {}).Close()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	a, err := agent.Listen(agent.Options{
		Logger: log,
		// Remote scripts may read the service's live state: see
		// examples/scripts/inflight.go.
		Packages: map[string]map[string]reflect.Value{
			"github.com/jstrace-go/jstrace/examples/service/state": {
				"Inflight": reflect.ValueOf(state.Inflight),
			},
		},
	})
	if err != nil {
		log.Error("start jstrace agent", "err", err)
		os.Exit(1)
	}
	defer a.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: newServer(*maxDelay), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("service: pid %d, http://%s, jstrace agent %s, title %q\n", os.Getpid(), ln.Addr(), a.Addr(), a.Title())

	if *pprofAddr != "" {
		go http.ListenAndServe(*pprofAddr, nil) // net/http/pprof registers on the default mux
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *load > 0 {
		go generate(ctx, "http://"+ln.Addr().String(), *load)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Side by side: draining HTTP can take the whole deadline (net/http
	// waits up to 5s for a connection that sent no request yet), and
	// attached CLIs should get their sessions' end meanwhile; a stuck
	// script cannot hold the exit past the deadline.
	var wg sync.WaitGroup
	wg.Go(func() { srv.Shutdown(shutdown) })
	if err := a.Shutdown(shutdown); err != nil {
		log.Warn("jstrace agent shutdown", "err", err)
	}
	wg.Wait()
}
