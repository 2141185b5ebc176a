package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/collector"
	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/webui"
)

// collectStoreEnv is the default of --store, read after parsing: a file
// path or a redis:// URL, which may hold a password. (The reading
// commands' store.go names it EnvStore; one of the two goes at merge.)
const collectStoreEnv = "JSTRACE_STORE"

// Timing of jstrace collect.
const (
	defaultReportEvery = 10 * time.Second
	minReportEvery     = 100 * time.Millisecond
	httpStopTimeout    = 5 * time.Second  // requests under way at the end
	flushTimeout       = 15 * time.Second // spans queued for the store at the end
)

// CollectOptions are the options of jstrace collect: receive spans from
// the agents selected (their span:end probes) and/or over HTTP, and keep
// them in a store. The zero value (with IO set) fails: it needs a
// selection, Listen or HTTP.
type CollectOptions struct {
	// IO is where the command writes: required (NewCmdCollect sets it).
	IO *output
	ConnectOptions
	// Store (--store, $JSTRACE_STORE) is where spans are kept: a file path
	// or redis://host:port[/db]. Default "": the embedded store at
	// tracestore.DefaultPath.
	Store string
	// Retention (--retention) is how long the store keeps a trace. Default
	// 0: tracestore.DefaultRetention (24h).
	Retention time.Duration
	// Listen (--listen) is the address of the HTTP receiver (POST
	// /v1/spans, /v1/traces). Default "": none.
	Listen string
	// HTTP (--http) is the address of the web page of the store, served
	// beside collection, or alone. Default "": none.
	HTTP string
	// Duration (--duration) ends collection after this long. Default 0:
	// until Ctrl-C or SIGTERM.
	Duration time.Duration
	// ReportEvery (--report-every, hidden) is the period of the report on
	// stderr. Default: 10s; at least 100ms.
	ReportEvery time.Duration
	// Verbose (-v) reports agents joining and leaving. Default false.
	Verbose bool

	selected bool // a selection flag (or $JSTRACE_AGENTS) was given
}

// NewCmdCollect returns the collect command: its flags become
// CollectOptions for runF, or for runCollect if runF is nil.
func NewCmdCollect(out *output, runF func(context.Context, *CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "collect [selection flags] [--listen ADDR] [--store URL]",
		Short: "Collect spans into a store, from agents and over HTTP",
		Long: `jstrace collect keeps finished spans, assembled into traces, in a store that
jstrace trace, slow and errors read.

It receives spans two ways, either or both:
  - from the agents selected with -p, -t, -H or --agents, as a session:
    it subscribes to their span:end probes, attaches agents that start
    later and survives agents coming and going;
  - over HTTP with --listen ADDR, from services whose exporter posts to it
    (JSTRACE_EXPORTERS=collector, JSTRACE_COLLECTOR_ENDPOINT=http://ADDR):
    POST /v1/spans in the jstrace span format, POST /v1/traces in
    OTLP/HTTP protobuf.

It runs until Ctrl-C or SIGTERM, then stores what it holds, and reports
on stderr what it stored, rejected and dropped, at most every 10 seconds.`,
		Example: `  jstrace collect --listen 127.0.0.1:4319
  jstrace collect -t '{gateway,orders,payments}' --store redis://127.0.0.1:6379/0
  JSTRACE_STORE=/var/lib/jstrace/traces.db jstrace collect --agents api.svc:7070`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromEnv(cmd)
			if !cmd.Flags().Changed("store") {
				opts.Store = os.Getenv(collectStoreEnv)
			}
			fs := cmd.Flags()
			opts.selected = fs.Changed("pid") || fs.Changed("title") || fs.Changed("host") || len(opts.Agents) > 0
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCollect(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Store, "store", "", "where to keep spans: a file path or redis://host:port[/db] (env "+collectStoreEnv+"; default: the embedded store in the user's state directory)")
	fs.DurationVar(&opts.Retention, "retention", 0, "how long the store keeps a trace (default 24h)")
	fs.StringVar(&opts.Listen, "listen", "", "receive spans over HTTP at this address (POST /v1/spans, /v1/traces)")
	fs.StringVar(&opts.HTTP, "http", "", "serve the web page of the stored traces at this address")
	fs.DurationVar(&opts.Duration, "duration", 0, "stop collecting after this long, as Ctrl-C would")
	fs.DurationVar(&opts.ReportEvery, "report-every", defaultReportEvery, "period of the report on stderr")
	fs.MarkHidden("report-every")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "report agents joining and leaving")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// openCollectStore opens the store (a variable for tests).
var openCollectStore = tracestore.Open

// pageHandler returns the web page of a store served at addr (a
// variable for tests).
var pageHandler = func(st tracestore.Store, addr net.Addr) http.Handler {
	return webui.Handler(st, webui.Options{Hosts: pageHosts(addr)})
}

// runCollect collects until a signal, --duration, or, with a -p selection
// and no --listen, the end of the process.
func runCollect(ctx context.Context, opts *CollectOptions) error {
	out := opts.IO
	out.raw = opts.Raw
	if !opts.selected && opts.Listen == "" && opts.HTTP == "" {
		return withCode(ExitUsage, errors.New("nothing to collect from: select agents (-p, -t, -H, --agents) or --listen ADDR"))
	}
	if opts.Retention < 0 {
		return withCode(ExitUsage, errors.New("--retention must not be negative"))
	}
	store, err := openCollectStore(ctx, opts.Store, tracestore.Options{Retention: opts.Retention})
	if err != nil {
		return withCode(ExitStore, fmt.Errorf("open store %s: %w", storeName(opts.Store), err))
	}
	defer store.Close()
	c := &collection{opts: opts, out: out, store: store}
	c.writer = collector.NewWriter(store, collector.WriterOptions{OnError: c.storeFailed})

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := c.startServers(); err != nil {
		c.stopServers()
		c.writer.Close(context.Background())
		return err
	}
	var reason error
	if opts.selected {
		reason = c.collectAgents(ctx, sigs)
	} else {
		reason = c.waitEnd(ctx, sigs, opts.Duration)
	}
	c.stopServers()
	fctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	go func() { // another Ctrl-C gives up on the store
		select {
		case <-sigs:
			cancel()
		case <-fctx.Done():
		}
	}()
	if err := c.writer.Close(fctx); err != nil {
		out.errorf("the store did not take every span (%v): those left are counted as dropped", err)
	}
	c.stopReport()
	c.final()
	return reason
}

// storeName is a store's name for messages: its password hidden.
func storeName(where string) string {
	if where == "" {
		if p, err := tracestore.DefaultPath(); err == nil {
			return p
		}
	}
	return tracestore.Redact(where)
}

// waitEnd waits for a signal, ctx, or d (0: no limit).
func (c *collection) waitEnd(ctx context.Context, sigs <-chan os.Signal, d time.Duration) error {
	c.startReport()
	var expire <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		expire = timer.C
	}
	select {
	case <-sigs:
	case <-ctx.Done():
	case <-expire:
	}
	return nil
}
