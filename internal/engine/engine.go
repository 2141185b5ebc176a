// Package engine runs one instance of a jstrace script: Remote inside an
// agent, or Local inside the CLI.
//
// An Engine owns one goroutine on which everything the script does runs,
// one call at a time: loading it, its entry point, its handlers, its Every
// callbacks and its cleanup functions. It implements scripthost.Host, matching
// traces to handlers by glob (once per name, not per trace), and recovers
// every panic of script code into a fault report.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/sandbox"
	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Output receives what a script produces. Its methods are called one at a
// time, with the engine's lock held: on the engine goroutine, or on a
// goroutine whose Inline runs handlers (the agent: one that fired a
// probe), so they must not block.
type Output interface {
	// Emit sends an event emitted by the script.
	Emit(name string, kv []any)
	// Print writes console output (stream as in scripthost.Host.Print).
	Print(stream byte, text string)
	// Fault reports a failure of script code: a panic in a handler, an
	// Every callback or a cleanup function.
	Fault(msg string)
	// Subscribed reports that the script's handler patterns changed.
	Subscribed(set *match.Set)
	// Detach reports that the script was stopped for exceeding a limit
	// (see Limits); it runs no more, and the session should end.
	Detach(reason string)
}

// Options configure an Engine. The zero value works.
type Options struct {
	// MaxPending bounds the traces waiting for the handlers.
	// Default: 65536.
	MaxPending int
	// MaxPendingBytes bounds the memory those traces hold.
	// Default: 16 MiB.
	MaxPendingBytes int
	// Block makes Dispatch wait until there is room; by default a batch
	// that does not fit is dropped and counted.
	Block bool
	// Limits bound the script; the zero value sets none.
	Limits Limits
	// Packages, LocalOnly and RemoteOnly are passed to the sandbox (see
	// sandbox.Options).
	Packages              map[string]map[string]reflect.Value
	LocalOnly, RemoteOnly bool
	// Feed, when set, is how native Aggregations get their traces: it is
	// called on the engine goroutine for each traces.Aggregate with the
	// pattern (valid) and the Aggregation's feed, whose Event function the
	// caller then calls from wherever events arise, concurrently (the
	// agent: the probes' goroutines, see jstrace.SubscribeFunc), after
	// setting its limits (Feed.Limit) if it bounds them. An error makes
	// traces.Aggregate fail. Default: nil, Aggregations receive the traces
	// given to Dispatch, like handlers.
	Feed func(pattern string, f scripthost.Feed) error
	// Args are the script's arguments, what traces.Args returns.
	// Default: nil, none.
	Args []string
	// Clock, if not zero, makes the engine's clock virtual, starting at
	// this time (jstrace replay): the traces delivered move it to their
	// Time (never back), and so does a Batch's Now; Every callbacks run
	// when it passes their due times, in due order, each period as if
	// that much time had passed, before the trace that moved it. None runs
	// on the wall clock. Default: zero, the wall clock.
	Clock time.Time
}

// queueLen is the number of batches waiting for the handlers. The queue
// holds pointers: a buffer of 256 Batch values was 18 KiB that every
// collection of the service scanned while the session lasted.
const queueLen = 256

// ErrStopped is returned by Dispatch and Do once the engine has stopped.
var ErrStopped = errors.New("script stopped")

// errDetached is the error of the call during which the script was
// detached; Output.Detach has said why, so callers do not report it again.
var errDetached = errors.New("script detached")

// Entry picks the function of a loaded script an Engine runs.
type Entry func(*sandbox.Script) func(*script.Traces)

// Remote and Local are the two entries.
var (
	Remote Entry = func(s *sandbox.Script) func(*script.Traces) { return s.Remote }
	Local  Entry = func(s *sandbox.Script) func(*script.Traces) { return s.Local }
)

// An Engine runs one script instance. Dispatch, Wants, Patterns, Dropped,
// Faults, Stop, Abandon, Wait, Kill and Done are safe for concurrent use;
// everything else happens on the engine goroutine.
type Engine struct {
	out      Output
	block    bool
	tasks    chan task
	events   chan *Batch
	quit     chan struct{} // closed when the engine stops: Stop done, or Abandon
	quitOnce sync.Once
	exited   chan struct{} // closed when the goroutine returns

	set      atomic.Pointer[match.Set] // handler patterns
	feed     func(string, scripthost.Feed) error
	args     []string                 // Options.Args, read-only
	fed      atomic.Pointer[[]string] // patterns given to feed
	maxTr    int64                    // MaxPending
	maxBytes int64                    // MaxPendingBytes
	pending  atomic.Int64             // traces queued, not yet delivered
	bytes    atomic.Int64             // what they hold, with overhead
	room     chan struct{}            // signalled when a batch left the queue
	dropped  atomic.Uint64
	faults   atomic.Uint64
	trail    trail

	// The watchdog's view: calls is incremented when a call into the script
	// starts and when it ends (odd: inside one), current says which.
	interp     atomic.Pointer[sandbox.Interp]
	calls      atomic.Uint64
	current    atomic.Pointer[callKind]
	pins       pinning
	watchTicks atomic.Uint64 // ticks of the watchdog, for tests
	killReason atomic.Pointer[string]
	limits     Limits
	everyKind  callKind
	dead       bool // owned by the engine goroutine: the script was stopped
	subsNew    bool // held with mu: subs has patterns set has not (see subscribe)

	// Handlers that may run on the goroutine of their probe (see Inline):
	// bounded is set once there is one; inlined counts the traces they
	// were called for there (but for the last few: see unpublished),
	// demoted the handlers sent back to the queue.
	bounded    atomic.Bool
	inlineOff  atomic.Bool   // too many slow calls, or a virtual clock (Options.Clock): none inline
	inlineCall atomic.Uint64 // the number of the inline call running, 0 if none
	lockWanted atomic.Bool   // the engine goroutine waits for mu: Inline leaves it
	quitted    atomic.Bool   // quit is closed: stopped without the channel

	// Owned by whoever holds mu: the engine goroutine for each stretch of
	// its work, Inline, or Inlined when it finds mu free.
	mu          sync.Mutex
	slowCalls   int    // Inline's calls that took over inlineBudget (estimated: see timeEvery)
	slowTimed   int    // the timed ones among them
	inlineN     uint64 // Inline's calls so far, numbering them (inlineCall)
	timeEvery   uint32 // one inline call in timeEvery is timed: inlineTimeEvery, 1 in tests
	unpublished unpublished
	handlers    []handler
	last        *route // the route of lastName, nil if none: most traces have the name of the one before
	lastName    string
	routes      map[string]*route // by trace name
	timers      timers
	cleanups    []func()
	callbacks   int           // the functions script code handed over: On, OnBounded, Every, OnCleanup
	subs        match.Builder // the handlers' patterns: set holds them once the call that added them returns

	// CheckInline's: the call it first saw running (seenCall), and when
	// (seenAt, since wallBase), set together under checkMu, which one
	// checker at a time holds past inlineWatch; the heap when it first
	// looked at the call past that (heapBase, for heapCall).
	checkMu          sync.Mutex
	seenCall         atomic.Uint64
	seenAt           atomic.Int64
	heapCall         uint64
	heapBase         uint64
	inlined, demoted atomic.Uint64

	stopOnce sync.Once
}

type handler struct {
	pattern string
	set     *match.Set // the pattern, compiled
	fn      func(*script.Trace)
	kind    *callKind       // nil for native handlers, which are not script code
	bounded bool            // ends by construction: see OnBounded
	loan    scripthost.Loan // what it does with its trace: see OnBounded (native handlers: nothing lent)
	slow    uint8           // its inline calls in a row that took over inlineBudget
}

// Start is New, then Run. On error the engine is abandoned: the cleanup
// functions the failed script registered do not run.
func Start(name string, src []byte, entry Entry, out Output, opts Options) (*Engine, error) {
	e, err := New(out, opts)
	if err != nil {
		return nil, err
	}
	if err := e.Run(name, src, entry); err != nil {
		e.Abandon() // no script code runs once Run has returned
		return nil, err
	}
	return e, nil
}

// New returns an engine with a fresh interpreter and its goroutines
// running, but no script: Run loads one. Stop or Abandon releases it.
func New(out Output, opts Options) (*Engine, error) {
	e := &Engine{
		out:       out,
		block:     opts.Block,
		maxTr:     int64(cmp.Or(opts.MaxPending, 65536)),
		maxBytes:  int64(cmp.Or(opts.MaxPendingBytes, 16<<20)),
		tasks:     make(chan task),
		events:    make(chan *Batch, queueLen),
		room:      make(chan struct{}, 1),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
		routes:    map[string]*route{},
		limits:    opts.Limits,
		feed:      opts.Feed,
		args:      slices.Clone(opts.Args),
		timeEvery: inlineTimeEvery,
	}
	e.pins.wake, e.pins.ended = make(chan struct{}, 1), make(chan struct{}, 1)

	e.everyKind = callKind{what: "an Every callback", budget: opts.Limits.HandlerTimeout}
	e.timers.init(opts.Clock)
	// A virtual clock moves only when told: a handler where its probe
	// fires would run off it.
	e.inlineOff.Store(e.timers.virtual)
	x, err := sandbox.New(sandbox.Options{Stdout: stdout{e}, Stderr: &e.trail, Packages: opts.Packages, LocalOnly: opts.LocalOnly, RemoteOnly: opts.RemoteOnly})
	if err != nil {
		return nil, err
	}
	e.interp.Store(x)
	e.pins.halt = x.Halt() // outlives x: see Released
	go e.loop()
	if l := opts.Limits; l.HandlerTimeout > 0 || l.SetupTimeout > 0 || l.MaxCPU > 0 {
		go e.watch(l)
	}
	return e, nil
}

// Run loads the script and runs the chosen entry point, on the engine
// goroutine. An entry the script does not define is not an error: the
// engine then does nothing until stopped. The error is the load error or
// the entry point's failure (a panic, a limit). Call it once.
func (e *Engine) Run(name string, src []byte, entry Entry) error {
	x := e.interp.Load()
	setup := &callKind{what: "the script's top level", budget: e.limits.SetupTimeout}
	var err error
	derr := e.Do(func() {
		var p *sandbox.Program
		if p, err = x.Compile(name, src); err != nil { // runs no script code: not under the watchdog
			return
		}
		var s *sandbox.Script
		if cerr := e.call(setup, func() { s, err = x.Run(p) }); cerr != nil {
			err = cerr
		}
		if err != nil {
			return
		}
		fn := entry(s)
		if fn == nil {
			return
		}
		setup.what = "the script's entry point"
		if err = e.call(setup, func() { fn(scripthost.NewTraces(e)) }); err != nil && !strings.Contains(err.Error(), name+":") {
			err = fmt.Errorf("%s: %w", name, err) // no position from yaegi: name the file at least
		}
		if err == nil && x.Releasable(e.callbacks) {
			e.interp.Store(nil) // see Released
		}
	})
	if r := e.killReason.Load(); r != nil {
		return errors.New(*r) // a limit: the reason says it all
	}
	return cmp.Or(derr, err)
}

// Released reports whether the engine let go of its interpreter: when the
// script's entry point returned, every function it had handed over (its
// handlers, Every callbacks and cleanup functions) was compiled code (see
// sandbox.Interp.Releasable), so no interpreted code could run any
// more, and the interpreter's ~100 KiB of nodes, scopes and tables would
// only be marked by every collection of the host's while the script
// lasted (bench/README.md, "A script all compiled drops its
// interpreter").
// Kill then throws the Halt switch the compiled code checks.
func (e *Engine) Released() bool { return e.interp.Load() == nil }

// Args returns the script's arguments (Options.Args): traces.Args.
func (e *Engine) Args() []string { return slices.Clone(e.args) }

// A task is work for the engine goroutine: done, if not nil, is closed
// once fn's stretch has ended.
type task struct {
	fn   func()
	done chan struct{}
}

// Do runs fn on the engine goroutine and waits for it.
func (e *Engine) Do(fn func()) error {
	done := make(chan struct{})
	select {
	case e.tasks <- task{fn, done}:
	case <-e.quit:
		return ErrStopped
	}
	<-done
	return nil
}

// Wants reports whether a handler's pattern matches name.
func (e *Engine) Wants(name string) bool { return e.set.Load().Match(name) }

// Patterns returns the handlers' patterns, then those of the Aggregations
// fed by Options.Feed.
func (e *Engine) Patterns() []string {
	ps := e.set.Load().Patterns()
	if fed := e.fed.Load(); fed != nil {
		ps = append(slices.Clip(ps), *fed...)
	}
	return ps
}

// Faults returns how many times script code panicked.
func (e *Engine) Faults() uint64 { return e.faults.Load() }

// loop is the engine goroutine. Each piece of work runs pinned to an OS
// thread, whose CPU clock the watchdog reads (see pinning).
func (e *Engine) loop() {
	defer close(e.exited)
	defer e.pins.halt.Release()
	for {
		select {
		case t := <-e.tasks:
			e.stretch(t.fn)
			if t.done != nil {
				close(t.done) // after the stretch: its lock is free (see Inline)
			}
		case b := <-e.events:
			e.stretch(func() { e.deliver(*b) })
		case <-e.timers.C():
			e.stretch(func() {
				y := yielder{pins: &e.pins}
				e.timers.fire(func(fn func()) { e.runTimer(fn); y.step(yieldCheck) })
			})
		case <-e.quit:
			e.dropQueued()
			return
		}
	}
}

// dropQueued counts the batches still queued as dropped: the engine has
// stopped (Dispatch queued them while its cleanups ran, say).
func (e *Engine) dropQueued() {
	for {
		select {
		case b := <-e.events:
			e.dropped.Add(uint64(len(b.Traces)))
			e.done(*b)
		default:
			return
		}
	}
}

// stretch runs fn, a stretch of work, pinned (see pinning) and holding
// the engine's lock (see Inline).
func (e *Engine) stretch(fn func()) {
	if !e.mu.TryLock() {
		// An inline call runs: no other starts now (probes firing in a
		// tight loop would keep the lock from us), and this one is
		// watched while we wait (see CheckInline).
		e.lockWanted.Store(true)
		for !e.mu.TryLock() {
			e.CheckInline()
			time.Sleep(100 * time.Microsecond)
		}
		e.lockWanted.Store(false)
	}
	defer e.mu.Unlock()
	e.publishInline()
	e.pins.pin()
	defer e.pins.unpin()
	fn()
}

// deliver calls the handlers of each trace of b, in order, unless the
// engine is abandoned meanwhile.
func (e *Engine) deliver(b Batch) {
	defer e.done(b)
	y := yielder{pins: &e.pins}
	for i, t := range b.Traces {
		if e.dead || e.stopped() {
			e.dropped.Add(uint64(len(b.Traces) - i))
			return
		}
		e.advance(t.Time)
		for _, i := range e.route(t.Name).idx {
			h := e.handlers[i]
			if h.kind == nil { // native: an Aggregation
				h.fn(t)
				y.step(1)
				continue
			}
			if err := e.run(h.kind, true, nil, h.fn, t); err != nil && !errors.Is(err, errDetached) {
				e.out.Fault(fmt.Sprintf("%s: %v", h.kind.what, err))
			}
			y.step(yieldCheck)
		}
	}
	e.advance(b.Now)
}

// advance moves a virtual clock to the time to, running the Every
// callbacks due by then.
func (e *Engine) advance(to time.Time) {
	if !e.timers.virtual || e.dead || e.stopped() {
		return
	}
	y := yielder{pins: &e.pins}
	e.timers.advance(to, func(fn func()) { e.runTimer(fn); y.step(yieldCheck) })
}

func (e *Engine) runTimer(fn func()) {
	if e.dead {
		return
	}
	if err := e.call(&e.everyKind, fn); err != nil && !errors.Is(err, errDetached) {
		e.out.Fault(fmt.Sprintf("Every callback: %v", err))
	}
}

// Stop ends the script: timers stop, queued traces are delivered (until
// half of the time left before ctx's deadline has passed, if it has one;
// the rest are dropped and counted), cleanup functions run in the order
// they were registered, and the engine goroutine exits. Stop waits for
// that until ctx is done: it returns nil once the goroutine has exited, or
// an error wrapping ctx's. The script then still runs: Kill halts it and
// Abandon drops what is left (see Done). Nothing waits unbounded unless ctx
// never ends.
func (e *Engine) Stop(ctx context.Context) error {
	var deadline time.Time
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Now().Add(time.Until(d) / 2)
	}
	e.stopOnce.Do(func() {
		go func() {
			select {
			case e.tasks <- task{fn: func() { e.finish(deadline) }}:
			case <-e.exited:
			}
		}()
	})
	return e.Wait(ctx)
}

// Abandon ends the engine at once, without waiting: no cleanup, queued
// traces dropped. Script code running at that moment finishes first (Kill
// makes that prompt); Wait or Done tells when it has.
func (e *Engine) Abandon() {
	e.stopOnce.Do(func() {})
	e.closeQuit()
}

// Wait waits for the engine goroutine to exit (see Stop and Abandon) until
// ctx is done. It returns nil once it has exited, or an error wrapping
// ctx's.
func (e *Engine) Wait(ctx context.Context) error {
	select {
	case <-e.exited:
		return nil
	case <-ctx.Done():
		select {
		case <-e.exited:
			return nil
		default:
			return fmt.Errorf("script still running: %w", ctx.Err())
		}
	}
}

func (e *Engine) closeQuit() {
	e.quitOnce.Do(func() {
		e.quitted.Store(true)
		close(e.quit)
	})
}

func (e *Engine) stopped() bool { return e.quitted.Load() }

// finish runs on the engine goroutine as its last task.
func (e *Engine) finish(deadline time.Time) {
	every := e.timers.list
	if !e.timers.virtual {
		e.timers.stop()
	} // else the traces queued still move the clock: they were before the end
	for more := true; more; {
		select {
		case b := <-e.events:
			if deadline.IsZero() || time.Now().Before(deadline) {
				e.deliver(*b)
			} else {
				e.dropped.Add(uint64(len(b.Traces)))
				e.done(*b)
			}
		default:
			more = false
		}
	}
	// Each Every callback runs once more, for the partial window since its
	// last run (DTrace prints its aggregations at END for the same reason):
	// a 500ms session of a once-a-second report still reports; one that
	// ran in the last tenth of its period is not repeated.
	every = e.timers.partial(every)
	e.timers.stop()
	y := yielder{pins: &e.pins}
	for _, t := range every {
		if e.dead || e.killReason.Load() != nil || e.stopped() {
			break
		}
		e.runTimer(t.fn)
		y.step(yieldCheck)
	}
	cleanup := &callKind{what: "a cleanup function", budget: e.limits.SetupTimeout}
	for _, fn := range e.cleanups {
		if e.killReason.Load() != nil || e.stopped() {
			break // the interpreter is dead, or the host gave up waiting
		}
		if err := e.call(cleanup, fn); err != nil && !errors.Is(err, errDetached) {
			e.out.Fault(fmt.Sprintf("cleanup: %v", err))
		}
		y.step(yieldCheck)
	}
	e.closeQuit()
}

// call runs script code under the watchdog, turning a panic into an error
// that names the script position yaegi reported for it. After the call it
// enforces the limits: a script killed by the watchdog, or past MaxFaults,
// is detached and runs no more.
func (e *Engine) call(k *callKind, fn func()) (err error) { return e.run(k, true, fn, nil, nil) }

// run is call, of fn or else of handler h with trace t; watched says
// whether the watchdog watches it (Inline's calls are not: they end by
// construction).
func (e *Engine) run(k *callKind, watched bool, fn func(), h func(*script.Trace), t *script.Trace) (err error) {
	e.trail.reset()
	if watched {
		e.current.Store(k)
		e.calls.Add(1)
	}
	defer func() {
		if watched {
			e.calls.Add(1)
		}
		r := recover()
		if _, ok := r.(halt.Halted); ok {
			r = nil // native code unwound out of a killed script: not a fault
		}
		if r != nil {
			n := e.faults.Add(1)
			pos := e.trail.position()
			err = fmt.Errorf("panic%s: %s", pos, e.describe(r))
			if max := e.limits.MaxFaults; max > 0 && n == uint64(max) {
				e.out.Fault(fmt.Sprintf("%s: %v", k.what, err))
				err = nil
				e.kill(fmt.Sprintf("%d panics in script code", max))
			}
		}
		if e.subsNew {
			e.publishSubs()
		}
		if reason := e.killReason.Load(); reason != nil && !e.dead {
			e.dead = true
			e.timers.stop()
			e.out.Detach(*reason)
			err = fmt.Errorf("%w: %s", errDetached, *reason)
		}
	}()
	if h != nil {
		h(t) // a handler: no closure to make for each trace
	} else {
		fn()
	}
	return nil
}

// describe formats a panic value of script code (see printable.Describe)
// under the watchdog's budget: formatting may run script code.
func (e *Engine) describe(r any) string {
	e.current.Store(&callKind{what: "formatting a panic value", budget: e.limits.HandlerTimeout})
	e.calls.Add(1)
	defer e.calls.Add(1)
	return printable.Describe(r)
}

// stdout is the interpreter's standard output: fmt.Print* in scripts.
type stdout struct{ e *Engine }

func (w stdout) Write(p []byte) (int, error) {
	w.e.out.Print(1, string(p))
	return len(p), nil
}

var _ io.Writer = stdout{}
