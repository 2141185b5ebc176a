// Command quickstart is the README's quick start: an HTTP service on
// localhost:8080 with a probe (probe.go) and the jstrace agent.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jstrace-go/jstrace/agent"
)

func main() {
	// Loopback only, for this user only; jstrace finds it by pid, title or host.
	a, err := agent.Listen(agent.Options{})
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: "localhost:8080", Handler: http.HandlerFunc(hello)}
	go srv.ListenAndServe()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Beside the HTTP drain, which can take all of ctx: ends every session
	// (their cleanups run, their CLIs are told) within ctx.
	var wg sync.WaitGroup
	wg.Go(func() { srv.Shutdown(ctx) })
	if err := a.Shutdown(ctx); err != nil {
		log.Print(err)
	}
	wg.Wait()
}
