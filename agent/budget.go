package agent

import (
	"cmp"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Totals bound what all of an agent's sessions take of the process
// together, however each stays within its Limits: eight sessions at 40%
// of a CPU each would otherwise take more than three CPUs from the
// service. Listen reads them once; the agent never modifies them.
type Totals struct {
	// MaxCPU bounds the share of one CPU the sessions use together: their
	// scripts' calls and their Aggregations' work on the goroutines that
	// fire the probes, over three one-second windows in a row. It is
	// measured in the wall time that work holds the process's Ps
	// (GOMAXPROCS), which the service's goroutines then wait for: on a
	// loaded host that is more than its CPU time. Past it,
	// the sessions using the most are detached until the rest are within
	// it (and more each further window past it), and while the last
	// window was past it new sessions are refused.
	// Default: a quarter of GOMAXPROCS CPUs, at least one CPU and at
	// least twice Limits.MaxCPU (so 1 up to 4 CPUs, 2 with 8, with the
	// default Limits), so that one session within its limit is not taken
	// for the sessions' total on a loaded host.
	MaxCPU float64
	// MaxMemory bounds the bytes the sessions hold together: their event
	// buffers (two of BufferSize each: the events for the CLI and those
	// waiting for the handlers), the traces queued for their handlers,
	// their Aggregations' groups and the shipped groups (traces.Ship)
	// waiting to be sent, at most 8 MiB a session. A session that would take it past is
	// refused; past it, the sessions holding the most are detached until
	// the rest are within it. Default: 64 MiB.
	MaxMemory int64
	// MaxAggregations bounds the Aggregations of all sessions together:
	// traces.Aggregate fails beyond it. Default: 64.
	MaxAggregations int
}

func (t Totals) resolve(l Limits) Totals {
	t.MaxCPU = cmp.Or(t.MaxCPU, max(1, float64(runtime.GOMAXPROCS(0))/4, 2*l.MaxCPU))
	t.MaxMemory = cmp.Or(t.MaxMemory, 64<<20)
	t.MaxAggregations = cmp.Or(t.MaxAggregations, 64)
	return t
}

// budgetWindows is how many windows in a row over a CPU budget detach.
const budgetWindows = 3

// governor holds the sessions to their CPU budget (Limits.MaxCPU, counting
// the work their Aggregations do outside the watchdog) and all of them to
// the Totals. A session counts from its admission (its buffer, while its
// script loads) until its script's goroutine has returned, which may be
// after its end (see stopEngine). While sessions count it wakes once a
// window, reads what each used and holds, and detaches those past a
// budget: it decides under its lock and acts (kills, detaches, prints)
// after releasing it. Its methods are safe for concurrent use.
type governor struct {
	totals Totals
	limits Limits
	buffer int64         // a session's event buffers
	window time.Duration // one second
	log    *slog.Logger
	aggs   aggCounter
	wg     *sync.WaitGroup // the agent's
	wake   chan struct{}   // capacity 1: the last session left
	quit   chan struct{}   // closed by close

	mu       sync.Mutex
	sessions map[*session]*usage
	running  bool    // the loop goroutine runs
	closed   bool    // close was called: no loop starts again
	load     float64 // of all sessions, in the last window (see usage.load)
	over     int     // windows in a row past Totals.MaxCPU
}

// usage is what the governor knows of one session: what it used until
// the last window, and in it.
type usage struct {
	// pending: admitted, its script still loading; it holds its buffer
	// but is not measured yet. stuck: ended, but its script's goroutine
	// still runs; it is charged that thread's CPU time until it returns.
	pending, stuck bool

	cpu, busy, probes time.Duration // CPU time, wall time busy, of which by its Aggregations
	share             float64       // of a CPU, in the last window: CPU time
	load              float64       // of a CPU, in the last window: wall time busy
	probeShare        float64       // of which by its Aggregations
	over              int           // windows in a row past Limits.MaxCPU
	noted             bool          // the script was told its Aggregations are full
	detached          bool
}

func newGovernor(o Options, log *slog.Logger, wg *sync.WaitGroup) *governor {
	return &governor{
		totals:   o.Totals,
		limits:   o.Limits,
		buffer:   2 * int64(o.BufferSize), // the session buffer and the handler queue
		window:   time.Second,
		log:      log,
		aggs:     aggCounter{max: o.Totals.MaxAggregations},
		wg:       wg,
		wake:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		sessions: map[*session]*usage{},
	}
}

// admit says why a new session may not attach, if it may not; else it
// counts the session, its buffer reserved, until leave.
func (g *governor) admit(s *session) *protocol.Error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.load > g.totals.MaxCPU {
		return &protocol.Error{Code: protocol.CodeBusy, Message: fmt.Sprintf(
			"the agent's sessions use %.0f%% of a CPU together, past the limit of %.0f%% for all sessions", 100*g.load, 100*g.totals.MaxCPU)}
	}
	mem := g.buffer
	for t, u := range g.sessions {
		mem += g.memory(t, u)
	}
	if mem > g.totals.MaxMemory {
		return &protocol.Error{Code: protocol.CodeBusy, Message: fmt.Sprintf(
			"the agent's sessions would hold %s together, past the limit of %s for all sessions", mib(mem), mib(g.totals.MaxMemory))}
	}
	g.sessions[s] = &usage{pending: true}
	return nil
}

// join starts measuring an admitted session once its script is loaded
// (loading is bounded by Limits.SetupTimeout).
func (g *governor) join(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.sessions[s]; u != nil {
		g.measure(s, u)
	}
}

// measure starts measuring s from now. s.eng is set.
func (g *governor) measure(s *session, u *usage) {
	probes := s.fed.cpuTime()
	u.cpu, u.busy, u.probes = s.eng.CPU()+probes, s.eng.Busy()+probes, probes
	u.pending = false
	if !g.running && !g.closed {
		g.running = true
		g.wg.Add(1)
		go g.run()
	}
}

// leave forgets a session that ended, unless its script still runs (see
// hold).
func (g *governor) leave(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.sessions[s]; u != nil && !u.stuck {
		g.forget(s, u)
	}
}

// hold keeps a session that ended counted, charged the CPU time of its
// script's thread, until release: its script's goroutine still runs (see
// stopEngine). s.eng is set.
func (g *governor) hold(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.sessions[s]
	if u == nil {
		return
	}
	if u.pending {
		g.measure(s, u)
	}
	u.stuck, u.detached = true, true
}

// release forgets a session hold kept, once its script's goroutine has
// returned.
func (g *governor) release(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.sessions[s]; u != nil {
		g.forget(s, u)
	}
}

func (g *governor) forget(s *session, u *usage) {
	g.load = max(g.load-u.load, 0)
	delete(g.sessions, s)
	if len(g.sessions) == 0 {
		g.load, g.over = 0, 0
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// close ends the loop at once, whatever sessions still count: the agent
// is closing.
func (g *governor) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		close(g.quit)
	}
}

// memory is what a session holds: its buffer, the traces queued for its
// handlers, its Aggregations' groups and its shipped groups not yet sent. A session whose script is loading
// holds its buffer; one that ended, what its script still holds.
func (g *governor) memory(s *session, u *usage) int64 {
	switch {
	case u.pending:
		return g.buffer
	case u.stuck:
		return s.eng.PendingBytes() + s.fed.pool.Used() + s.ships.held()
	}
	return g.buffer + s.eng.PendingBytes() + s.fed.pool.Used() + s.ships.held()
}

// run wakes once a window while sessions are measured, and ends when none
// counts any more or the agent closes.
func (g *governor) run() {
	defer g.wg.Done()
	t := time.NewTicker(g.window)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-g.quit:
			g.mu.Lock()
			g.running = false
			g.mu.Unlock()
			return
		case <-g.wake:
			if g.idle() {
				return
			}
		case now := <-t.C:
			acts, ok := g.tick(now.Sub(last))
			for _, a := range acts {
				a.do()
			}
			if !ok {
				return
			}
			last = now
		}
	}
}

// idle reports whether no session counts, and if so ends the loop.
func (g *governor) idle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sessions) > 0 {
		return false
	}
	g.running = false
	return true
}
