package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Timing of a session.
const (
	rescanEvery  = time.Second      // look for agents that joined
	dialTimeout  = 5 * time.Second  // connect and handshake
	stopTimeout  = 15 * time.Second // remote cleanup and flush, all agents
	localTimeout = 5 * time.Second  // Local's end when the session never started
	localNotice  = 2 * time.Second  // say why the end of Local takes long
	// localPending bounds the traces waiting for Local: beyond, the CLI
	// stops reading and the agents drop (and count) instead.
	localPending = 8192
	// maxAttaching bounds the attach attempts in flight at once (dial,
	// handshake, the agent's load of the script): enough to keep the
	// CLI's cores busy while each waits for its agent, few enough that
	// thousands of agents are not all loading a script, and holding a
	// half-open connection and its buffers, at the same moment.
	maxAttaching = 128
)

// tracer is one jstrace run: the Local engine and the agents attached.
type tracer struct {
	opts   *TraceOptions
	sel    *selector
	out    *output
	eng    *engine.Engine
	attach protocol.Attach
	tls    *tls.Config // nil: plain TCP
	// watchdog watches the sessions for their agents' silence; nil: each
	// session pings its agent (client.Options.Watchdog).
	watchdog *mux.Watchdog

	mu       sync.Mutex
	agents   map[string]*agent    // by address: attaching or attached
	skip     map[string]time.Time // address → not before
	stopping bool
	warned   map[string]bool // one-time warnings already printed, at most maxWarned
	unwarned int             // warnings not printed because warned was full
	console  budgets         // each agent's console output
	changed  chan struct{}   // an agent left
	wg       sync.WaitGroup  // the attached sessions not yet ended (ended)
	started  atomic.Bool     // Local has returned; attach is set
	detached int             // agents that stopped the script for a limit

	// scanFn, if set, stands in for scan when wait looks for agents that
	// joined (tests).
	scanFn func(context.Context) (int, error)
	// attaching, if not 0, stands in for maxAttaching (tests).
	attaching int
	near      nearMisses // what agents reported of patterns matching no probe
	// sink, if set, receives the agents' event batches instead of Local
	// (jstrace collect).
	sink func(c *client.Conn, batch []byte)
}

// agent is one attached agent.
type agent struct {
	conn  *client.Conn
	stats protocol.Stats // last known
	err   error          // why it ended, nil if cleanly
	ended bool
}

// attachResult classifies the outcome of one attach attempt.
type attachResult int

const (
	attached attachResult = iota
	notMatching
	failed
)

// TraceOptions are the options of jstrace's main command: run a script
// against the agents selected. The zero value (with IO and Script set)
// runs the script against every local agent until Ctrl-C.
type TraceOptions struct {
	// IO is where the command writes: required (NewCmdTrace sets it).
	IO *output
	ConnectOptions
	// Script is the path of the script to run (the argument), "-" for
	// standard input; "" with Expr.
	Script string
	// Expr (-e) is a one-liner: statements run as the body of a generated
	// Remote, instead of a script file. Default "": none.
	Expr string
	// ExprLocal (--local) makes Expr the body of Local, run in the CLI on
	// the raw traces of every process, instead of Remote. Default false.
	ExprLocal bool
	// Args are the script's arguments, those after "--" (traces.Args), at
	// most protocol.MaxArgs of protocol.MaxArgsBytes in all. Default: none.
	Args []string
	// Stdin is where "-" reads the script. Default (nil): os.Stdin.
	Stdin io.Reader
	// Duration (--duration) ends the session after this long, as Ctrl-C
	// would. Default 0: no limit.
	Duration time.Duration
	// Verbose (-v) reports agents joining and leaving, and drop counts
	// every second. Default false.
	Verbose bool
	// Wait (--wait) waits for a matching agent instead of failing when
	// there is none. Default false.
	Wait bool
	// JSON (--json) prints the script's output, Local's and the Remotes',
	// as NDJSON output events on standard output (scriptjson.go). Default
	// false: as text.
	JSON bool
}

// NewCmdTrace returns the trace command, which is jstrace itself: its
// arguments and flags become TraceOptions for runF, or for runTrace if
// runF is nil.
func NewCmdTrace(out *output, runF func(context.Context, *TraceOptions) error) *cobra.Command {
	opts := &TraceOptions{IO: out}
	cmd := &cobra.Command{
		Use:   "jstrace [flags] {<script.go> | - | -e '<statements>'} [-- <args>...]",
		Short: "Dynamic tracing for live Go services",
		Long: `jstrace runs a Go script against the probes of live Go processes.

The script's Remote function runs inside every matching process (each
embeds the jstrace agent), its Local function runs here and receives what
the remotes emit, plus raw traces. Processes are found in the local run
directory, or at --agents addresses, and filtered by -p, -t and -H.

The script is a file, or "-" to read it from standard input, or -e with
statements run as the body of Remote (with --local, of Local: here, on
the raw traces of every process), traces, script, fmt, strings and time
in scope. Arguments after -- reach the script as traces.Args(), in
Remote and Local alike (at most 64, of 4 KiB in all).

` + exitHelp(),
		Example: `  jstrace -t 'api*' examples/scripts/response-duration.go
  jstrace -p 1234 --duration 10s examples/scripts/status-bars.go
  jstrace -t api script.go -- /checkout 500ms
  jstrace -t api - < script.go
  jstrace -p 1234 -e 'traces.On("request:end", func(t *script.Trace) { traces.Log(t.Str("path")) })'
  jstrace -t api --local -e 'traces.On("request:end", func(t *script.Trace) { fmt.Println(t.PID, t.Dur("duration")) })'
  jstrace --agents api.default.svc:7070 -H 'api-*' script.go
  jstrace ls
  jstrace vet script.go`,
		Args: cobra.ArbitraryArgs, // scriptArgs checks them
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("expr") && strings.TrimSpace(opts.Expr) == "" {
				return withCode(ExitUsage, errNoScript)
			}
			if opts.ExprLocal && opts.Expr == "" {
				return exitf(ExitUsage, "--local goes with -e: a script file says itself what is Local")
			}
			var err error
			opts.Script, opts.Args, err = scriptArgs(args, cmd.ArgsLenAtDash(), opts.Expr != "")
			if err != nil {
				return err
			}
			opts.fromEnv(cmd)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTrace(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Duration, "duration", 0, "end the session after this long, as Ctrl-C would")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "report agents joining and leaving, and drop counts every second")
	cmd.Flags().StringVarP(&opts.Expr, "expr", "e", "", "run these statements as the script's Remote, instead of a script file")
	cmd.Flags().BoolVar(&opts.ExprLocal, "local", false, "with -e: run the statements as Local, in the CLI, on every process's raw traces")
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait for a matching agent instead of failing when there is none")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the script's output as NDJSON, one object per output event")
	addConnectFlags(cmd, &opts.ConnectOptions)
	return cmd
}

// runTrace runs a session: Local starts here, Remote in every agent that
// matches, until Ctrl-C, --duration, or the end of every agent.
func runTrace(ctx context.Context, opts *TraceOptions) error {
	name, src, err := readScript(opts)
	if err != nil {
		return err
	}
	return runSource(ctx, opts, name, src)
}

// runSource runs a session of the script src, called name in messages:
// the user's (runTrace) or a built-in one (jstrace agg).
func runSource(ctx context.Context, opts *TraceOptions, name string, src []byte) error {
	out := opts.IO
	out.raw, out.json = opts.Raw, opts.JSON
	sel, err := opts.selector()
	if err != nil {
		return err
	}
	t, err := newTracer(opts, sel, name, src)
	if err != nil {
		return err
	}
	// One goroutine listens for the agents' silence, not a keepalive a
	// session (mux.Watchdog); closed once every session has been.
	t.watchdog = &mux.Watchdog{}
	defer t.watchdog.Close()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	stopped, err := t.start(ctx, sigs)
	if err != nil {
		t.eng.Abandon()
		wait, cancel := context.WithTimeout(context.Background(), localTimeout)
		t.eng.Wait(wait)
		cancel()
		return err
	}
	defer t.hardDeadline(opts.Duration)()
	var reason error
	if !stopped { // else Ctrl-C came during the first scan
		reason = t.wait(ctx, sigs)
	}
	return t.shutdown(sigs, reason)
}

// newTracer starts Local of the script src (name names it in messages)
// and prepares the session's Attach; it attaches nothing yet.
func newTracer(opts *TraceOptions, sel *selector, path string, src []byte) (*tracer, error) {
	tlsConf, err := opts.tlsConfig()
	if err != nil {
		return nil, err
	}
	t := &tracer{
		opts:    opts,
		sel:     sel,
		out:     opts.IO,
		agents:  map[string]*agent{},
		skip:    map[string]time.Time{},
		warned:  map[string]bool{},
		changed: make(chan struct{}, 1),
		tls:     tlsConf,
	}
	t.eng, err = engine.Start(path, src, engine.Local, (*localOutput)(t), engine.Options{Block: true, MaxPending: localPending, LocalOnly: true, Args: opts.Args})
	if err != nil {
		return nil, withCode(ExitScript, err)
	}
	t.attach = protocol.Attach{Name: path, Source: string(src), LocalPatterns: t.eng.Patterns(), Args: opts.Args}
	t.attach.Flags |= protocol.AttachWarnings | protocol.AttachGroups
	if opts.Verbose {
		t.attach.Flags |= protocol.AttachStats
	}
	t.started.Store(true)
	return t, nil
}

// start attaches the agents that match now, or waits for one with --wait.
// Ctrl-C ends a scan under way (the slots of maxAttaching make a scan of
// thousands of agents long when many hang): stopped then says the session
// is to end at once, with the agents attached so far.
func (t *tracer) start(ctx context.Context, sigs <-chan os.Signal) (stopped bool, err error) {
	for {
		n, signalled, err := t.scanUntilSignal(ctx, sigs)
		if signalled {
			if n > 0 {
				return true, nil
			}
			return true, withCode(ExitOK, errors.New("stopped before any agent matched"))
		}
		if n > 0 {
			return false, nil
		}
		if !t.opts.Wait || permanent(err) {
			return false, err
		}
		select {
		case <-sigs:
			return true, withCode(ExitOK, errors.New("stopped before any agent matched"))
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(rescanEvery):
		}
	}
}

// scanUntilSignal is scan, cancelled by a signal on sigs (which it then
// reports).
func (t *tracer) scanUntilSignal(ctx context.Context, sigs <-chan os.Signal) (n int, signalled bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan bool)
	go func() {
		select {
		case <-sigs:
			cancel()
			done <- true
		case <-sctx.Done():
			done <- false
		}
	}()
	n, err = t.scan(sctx)
	cancel()
	signalled = <-done
	return n, signalled, err
}

// wait runs the session until Ctrl-C, --duration, or the end of every agent
// when no other can join. It returns nil, or the error to exit with.
func (t *tracer) wait(ctx context.Context, sigs <-chan os.Signal) error {
	var expire <-chan time.Time
	if t.opts.Duration > 0 {
		timer := time.NewTimer(t.opts.Duration)
		defer timer.Stop()
		expire = timer.C
	}
	rescan := time.NewTicker(rescanEvery)
	defer rescan.Stop()
	scanning := false
	// Buffered: a scan still running when the session ends must not block
	// forever on sending its news to a wait that returned.
	scanned := make(chan struct{}, 1)
	for {
		select {
		case <-sigs:
			return nil
		case <-expire:
			return nil
		case <-ctx.Done():
			return nil
		case <-rescan.C:
			if t.sel.canGrow() && !scanning {
				scanning = true
				go func() { t.rescan(ctx); scanned <- struct{}{} }()
			}
		case <-scanned:
			scanning = false
		case <-t.changed:
			if !t.sel.canGrow() && t.live() == 0 {
				if scanning {
					<-scanned
				}
				if t.detachedCount() > 0 {
					return nil // shutdown reports it
				}
				return exitf(ExitLost, "no agent left to trace (%s)", t.sel.describe())
			}
		}
	}
}

// rescan looks for agents that joined since the last scan.
func (t *tracer) rescan(ctx context.Context) {
	if t.scanFn != nil {
		t.scanFn(ctx)
		return
	}
	t.scan(ctx)
}

// live counts the agents still attached.
func (t *tracer) live() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, a := range t.agents {
		if a.conn != nil && !a.ended {
			n++
		}
	}
	return n
}

// shutdown ends the session: every agent runs its cleanup and flushes,
// then Local's cleanup runs, then drop counts are reported. A second
// Ctrl-C cuts the wait short.
func (t *tracer) shutdown(sigs <-chan os.Signal, reason error) error {
	t.mu.Lock()
	t.stopping = true
	var conns []*client.Conn
	for _, a := range t.agents {
		if a.conn != nil && !a.ended {
			conns = append(conns, a.conn)
		}
	}
	t.mu.Unlock()
	for _, c := range conns {
		go c.Stop() // each waits for its agent to take it, at most a second
	}
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	interrupted := false
	select {
	case <-done:
	case <-time.After(stopTimeout):
		t.out.errorf("agents did not finish within %v", stopTimeout)
	case <-sigs:
		interrupted = true
		t.eng.Abandon() // unblocks readers waiting for room in Local's queue
	}
	for _, c := range conns {
		c.Close()
	}
	<-done // readers wait for Local only: the hard deadline bounds the rest
	if interrupted {
		return withCode(ExitInterrupted, errInterrupted)
	}
	t.warnLocal()
	if !t.finishLocal(sigs) {
		return withCode(ExitInterrupted, errInterrupted)
	}
	t.report()
	if n := t.detachedCount(); reason == nil && n > 0 {
		return exitf(ExitScript, "the script exceeded the agents' limits and was stopped in %d process(es)", n)
	}
	return reason
}

func (t *tracer) detachedCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.detached
}

// finishLocal lets Local handle the traces that arrived, then runs its
// cleanup. If that takes a while it says so; a second Ctrl-C gives up
// (reported false).
func (t *tracer) finishLocal(sigs <-chan os.Signal) bool {
	stopped := make(chan struct{})
	go func() {
		t.eng.Stop(context.Background()) // a second Ctrl-C gives up waiting
		close(stopped)
	}()
	select {
	case <-stopped:
		return true
	case <-time.After(localNotice):
		t.out.errorf("Local is still handling %d traces that arrived; Ctrl-C again to skip them", t.eng.Pending())
	}
	select {
	case <-stopped:
		return true
	case <-sigs:
		t.out.errorf("skipped %d traces and Local's cleanup", t.eng.Pending())
		return false
	}
}

// report prints what was lost, per agent.
func (t *tracer) report() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.agents {
		if a.conn == nil {
			continue
		}
		if msg := lossSummary(a.stats); msg != "" {
			t.out.errorf("%s: %s", t.who(a.conn), msg)
		}
		if n := t.console.dropped(a.conn); n > 0 {
			t.out.errorf("%s: %d bytes of console output dropped by jstrace (over %d bytes a second)", t.who(a.conn), n, consoleRate)
		}
	}
	if t.unwarned > 0 {
		t.out.errorf("%d more warnings about names and fields were not printed (over %d)", t.unwarned, maxWarned)
	}
	if d := t.eng.Dropped(); d > 0 {
		t.out.errorf("Local: %d traces dropped", d)
	}
}

// lossSummary describes a session's losses, "" if none.
func lossSummary(s protocol.Stats) string {
	var parts []string
	if s.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d events dropped (session buffer full)", s.Dropped))
	}
	if s.HandlerDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d events dropped by slow remote handlers", s.HandlerDropped))
	}
	if s.ConsoleDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes of console output dropped", s.ConsoleDropped))
	}
	if s.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d remote errors", s.Errors))
	}
	msg := ""
	for i, p := range parts {
		if i > 0 {
			msg += ", "
		}
		msg += p
	}
	return msg
}
