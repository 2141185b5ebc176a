// Command webapp is a small HTTP service over SQLite traced by jstrace's
// net/http and database/sql instrumentation, with no hand-written request
// probe: jstracehttp gives every request an ID and traces it and each of
// its three middleware layers (recover, auth, cache) and handlers;
// jstracesql traces every statement. With -load it sends itself traffic:
// users read and created, a slow route, a failing one and a panicking one.
//
//	go run ./examples/webapp -load 50
//	jstrace -t webapp examples/scripts/layer-latency.go
//	JSTRACE_DEBUG='http:request:*,db:*' go run ./examples/webapp -load 2
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/jstracesql"
	_ "modernc.org/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "HTTP listen address")
	load := flag.Float64("load", 0, "requests per second to send to itself")
	dsn := flag.String("db", "file::memory:?cache=shared", "SQLite data source")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *dsn, *load); err != nil {
		log.Error("webapp", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, dsn string, load float64) error {
	db, err := jstracesql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	app, err := newApp(db)
	if err != nil {
		return err
	}

	a, err := agent.Listen(agent.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("start jstrace agent: %w", err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: app.handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("webapp: pid %d, http://%s, jstrace agent %s, title %q\n", os.Getpid(), ln.Addr(), a.Addr(), a.Title())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if load > 0 {
		go generate(ctx, "http://"+ln.Addr().String(), load)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { srv.Shutdown(shutdown) })
	if err := a.Shutdown(shutdown); err != nil {
		log.Warn("jstrace agent shutdown", "err", err)
	}
	wg.Wait()
	return nil
}
