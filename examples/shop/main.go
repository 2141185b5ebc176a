// Command shop is three small services that call each other over HTTP —
// gateway → orders → payments — to show jstrace's distributed traces: one
// binary, one role per process, each process embedding a jstrace agent
// titled after its role, so its spans carry that service name.
//
// Every service serves through jstracehttp.Middleware and calls the next
// one through jstracehttp.Transport, which start the spans of each hop and
// carry the trace across (W3C traceparent, and X-Trace-ID); the response
// carries X-Trace-ID. Business steps are spans of their own, with tags and
// logs: "validate cart" (gateway), "reserve stock" around a SQLite query
// traced by jstracesql and "release stock" (orders), "charge card"
// (payments). Payments is sometimes slow (-slow, -slow-delay) and sometimes
// fails with a 503 and an error on its span (-fail).
//
//	shop -role payments -addr 127.0.0.1:8083 &
//	shop -role orders -addr 127.0.0.1:8082 -payments http://127.0.0.1:8083 &
//	shop -role gateway -addr 127.0.0.1:8081 -orders http://127.0.0.1:8082 &
//	shop -role load -gateway http://127.0.0.1:8081 -rps 20
//	jstrace -t '{gateway,orders,payments}' examples/scripts/span-p99.go
//
// With JSTRACE_EXPORTERS=console each service prints a waterfall of every
// finished trace; make demo-traces runs all of it (tools/demo-traces.sh).
package main

import (
	"context"
	"errors"
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
	"github.com/jstrace-go/jstrace/jstracehttp"
	_ "modernc.org/sqlite"
)

// config is the command line.
type config struct {
	role      string
	addr      string
	orders    string        // gateway: the orders service's base URL
	payments  string        // orders: the payments service's base URL
	dsn       string        // orders: SQLite data source
	slow      float64       // payments: fraction of slow charges
	slowDelay time.Duration // payments: how slow
	fail      float64       // payments: fraction of failed charges
	gateway   string        // load: the gateway's base URL
	rps       float64       // load: requests per second
	n         int           // load: requests to send, 0 for no end
	quiet     bool          // load: no line per request
}

func main() {
	var c config
	flag.StringVar(&c.role, "role", "", "gateway, orders, payments, or load (a client of the gateway)")
	flag.StringVar(&c.addr, "addr", "127.0.0.1:0", "HTTP listen address")
	flag.StringVar(&c.orders, "orders", "", "gateway: base URL of the orders service")
	flag.StringVar(&c.payments, "payments", "", "orders: base URL of the payments service")
	flag.StringVar(&c.dsn, "db", "file::memory:?cache=shared", "orders: SQLite data source")
	flag.Float64Var(&c.slow, "slow", 0.2, "payments: fraction of charges that are slow")
	flag.DurationVar(&c.slowDelay, "slow-delay", 300*time.Millisecond, "payments: how long a slow charge takes")
	flag.Float64Var(&c.fail, "fail", 0.1, "payments: fraction of charges that fail (503)")
	flag.StringVar(&c.gateway, "gateway", "", "load: base URL of the gateway")
	flag.Float64Var(&c.rps, "rps", 10, "load: requests per second")
	flag.IntVar(&c.n, "n", 0, "load: requests to send, then exit (0: until interrupted)")
	flag.BoolVar(&c.quiet, "quiet", false, "load: print only the summary")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, c); err != nil {
		log.Error("shop", "role", c.role, "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, c config) error {
	var handler func() (http.Handler, func(), error)
	switch c.role {
	case "load":
		if c.gateway == "" || c.rps <= 0 {
			return errors.New("load needs -gateway and a positive -rps")
		}
		return generate(ctx, c)
	case "gateway":
		if c.orders == "" {
			return errors.New("gateway needs -orders")
		}
		handler = func() (http.Handler, func(), error) { return newGateway(c.orders).handler(), func() {}, nil }
	case "orders":
		if c.payments == "" {
			return errors.New("orders needs -payments")
		}
		handler = func() (http.Handler, func(), error) {
			o, err := newOrders(c.dsn, c.payments)
			if err != nil {
				return nil, nil, err
			}
			return o.handler(), o.close, nil
		}
	case "payments":
		handler = func() (http.Handler, func(), error) {
			return newPayments(c.slow, c.slowDelay, c.fail).handler(), func() {}, nil
		}
	default:
		return fmt.Errorf("unknown -role %q: want gateway, orders, payments or load", c.role)
	}
	return serve(ctx, log, c, handler)
}

// serve runs one service until ctx ends: its agent (titled after the
// role), its handler behind jstracehttp.Middleware, then a graceful
// shutdown of both.
func serve(ctx context.Context, log *slog.Logger, c config, handler func() (http.Handler, func(), error)) error {
	h, closeHandler, err := handler()
	if err != nil {
		return err
	}
	defer closeHandler()
	a, err := agent.Listen(agent.Options{Title: c.role, Logger: log})
	if err != nil {
		return fmt.Errorf("start jstrace agent: %w", err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: jstracehttp.Middleware(h), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("shop: %s pid %d, http://%s, jstrace agent %s, title %q\n", c.role, os.Getpid(), ln.Addr(), a.Addr(), a.Title())

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
