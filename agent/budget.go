package agent

import (
	"cmp"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/protocol"
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
	// Default: a quarter of GOMAXPROCS CPUs, at least one CPU (so 1 up
	// to 4 CPUs, 2 with 8), at least twice a session's default MaxCPU, so that
	// one session within its limit is not taken for the sessions' total on
	// a loaded host.
	MaxCPU float64
	// MaxMemory bounds the bytes the sessions hold together: their event
	// buffers (BufferSize each), the traces queued for their handlers and
	// their Aggregations' groups. A session that would take it past is
	// refused; past it, the sessions holding the most are detached until
	// the rest are within it. Default: 64 MiB.
	MaxMemory int64
	// MaxAggregations bounds the Aggregations of all sessions together:
	// traces.Aggregate fails beyond it. Default: 64.
	MaxAggregations int
}

func (t Totals) resolve() Totals {
	t.MaxCPU = cmp.Or(t.MaxCPU, max(1, float64(runtime.GOMAXPROCS(0))/4))
	t.MaxMemory = cmp.Or(t.MaxMemory, 64<<20)
	t.MaxAggregations = cmp.Or(t.MaxAggregations, 64)
	return t
}

// budgetWindows is how many windows in a row over a CPU budget detach.
const budgetWindows = 3

// governor holds the sessions to their CPU budget (Limits.MaxCPU, counting
// the work their Aggregations do outside the watchdog) and all of them to
// the Totals. While sessions are attached it wakes once a window, reads
// what each used and holds, and detaches those past a budget. Its methods
// are safe for concurrent use.
type governor struct {
	totals Totals
	limits Limits
	buffer int64         // a session's event buffer
	window time.Duration // one second
	log    *slog.Logger
	aggs   aggCounter
	wg     *sync.WaitGroup // the agent's

	mu       sync.Mutex
	sessions map[*session]*usage
	running  bool    // the loop goroutine runs
	load     float64 // of all sessions, in the last window (see usage.load)
	over     int     // windows in a row past Totals.MaxCPU
}

// usage is what the governor knows of one session: what it used until
// the last window, and in it.
type usage struct {
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
		buffer:   int64(o.BufferSize),
		window:   time.Second,
		log:      log,
		aggs:     aggCounter{max: o.Totals.MaxAggregations},
		wg:       wg,
		sessions: map[*session]*usage{},
	}
}

// admit says why a new session may not attach, if it may not.
func (g *governor) admit() *protocol.Error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.load > g.totals.MaxCPU {
		return &protocol.Error{Code: protocol.CodeBusy, Message: fmt.Sprintf(
			"the agent's sessions use %.0f%% of a CPU together, past the limit of %.0f%% for all sessions", 100*g.load, 100*g.totals.MaxCPU)}
	}
	mem := g.buffer
	for t := range g.sessions {
		mem += g.memory(t)
	}
	if mem > g.totals.MaxMemory {
		return &protocol.Error{Code: protocol.CodeBusy, Message: fmt.Sprintf(
			"the agent's sessions would hold %s together, past the limit of %s for all sessions", mib(mem), mib(g.totals.MaxMemory))}
	}
	return nil
}

// join starts holding a session to the budgets once its script is loaded
// (loading is bounded by Limits.SetupTimeout), until leave.
func (g *governor) join(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	probes := s.fed.cpuTime()
	g.sessions[s] = &usage{cpu: s.eng.CPU() + probes, busy: s.eng.Busy() + probes, probes: probes}
	if !g.running {
		g.running = true
		g.wg.Add(1)
		go g.run()
	}
}

// leave forgets a session that ended.
func (g *governor) leave(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.sessions[s]; u != nil {
		g.load = max(g.load-u.load, 0)
		delete(g.sessions, s)
	}
	if len(g.sessions) == 0 {
		g.load, g.over = 0, 0
	}
}

// memory is what a session holds: its buffer, the traces queued for its
// handlers and its Aggregations' groups.
func (g *governor) memory(s *session) int64 {
	return g.buffer + s.eng.PendingBytes() + s.fed.pool.Used()
}

// run wakes once a window while sessions are attached.
func (g *governor) run() {
	defer g.wg.Done()
	t := time.NewTicker(g.window)
	defer t.Stop()
	last := time.Now()
	for range t.C {
		now := time.Now()
		if !g.tick(now.Sub(last)) {
			return
		}
		last = now
	}
}

// tick measures one window of span and enforces the budgets; it reports
// false, and the loop ends, once no session is attached.
func (g *governor) tick(span time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sessions) == 0 {
		g.running = false
		return false
	}
	type held struct {
		s     *session
		u     *usage
		bytes int64
	}
	var all []held
	var load float64
	var mem int64
	for s, u := range g.sessions {
		probes := s.fed.cpuTime()
		cpu, busy := s.eng.CPU()+probes, s.eng.Busy()+probes
		u.share = float64(cpu-u.cpu) / float64(span)
		u.load = float64(busy-u.busy) / float64(span)
		u.probeShare = float64(probes-u.probes) / float64(span)
		u.cpu, u.busy, u.probes = cpu, busy, probes
		load += u.load
		h := held{s, u, g.memory(s)}
		mem += h.bytes
		all = append(all, h)
		if u.detached {
			continue
		}
		g.note(s, u)
		if u.share <= g.limits.MaxCPU {
			u.over = 0
		} else if u.over++; u.over >= budgetWindows {
			g.detach(s, u, fmt.Sprintf("the script used %.0f%% of a CPU for %ds (%.0f%% in its aggregations, on the service's goroutines); the limit is %.0f%%",
				100*u.share, budgetWindows, 100*u.probeShare, 100*g.limits.MaxCPU))
		}
	}
	g.load = load
	if load <= g.totals.MaxCPU {
		g.over = 0
	} else if g.over++; g.over >= budgetWindows {
		// The rest, starved until now, may take more: if the next window
		// is still past the total, more are detached then.
		g.over = budgetWindows - 1
		slices.SortFunc(all, func(x, y held) int { return cmp.Compare(y.u.load, x.u.load) })
		left := load
		for _, h := range all {
			if left <= g.totals.MaxCPU {
				break
			}
			if !h.u.detached {
				g.detach(h.s, h.u, fmt.Sprintf("the agent's %d sessions used %.0f%% of a CPU together for %ds, past the limit of %.0f%% for all sessions; this one used %.0f%%, among the most",
					len(all), 100*load, budgetWindows, 100*g.totals.MaxCPU, 100*h.u.load))
			}
			left -= h.u.load
		}
	}
	if mem > g.totals.MaxMemory {
		slices.SortFunc(all, func(x, y held) int { return cmp.Compare(y.bytes, x.bytes) })
		left := mem
		for _, h := range all {
			if left <= g.totals.MaxMemory {
				break
			}
			if !h.u.detached {
				g.detach(h.s, h.u, fmt.Sprintf("the agent's sessions held %s together, past the limit of %s for all sessions; this one held %s, among the most",
					mib(mem), mib(g.totals.MaxMemory), mib(h.bytes)))
			}
			left -= h.bytes
		}
	}
	return true
}

// note tells the script, once, that its Aggregations hold all the memory
// they may: what needs more is dropped from then on.
func (g *governor) note(s *session, u *usage) {
	p := s.fed.pool
	if u.noted || p.Used() < p.Limit()-p.Limit()/32 {
		return
	}
	u.noted = true
	msg := fmt.Sprintf("the script's aggregations hold %s, all they may together: traces that need more are dropped and counted (Aggregation.Dropped)", mib(p.Limit()))
	s.console.print(protocol.ConsoleFault, msg+"\n")
	s.log.Info("jstrace session: aggregations full", "limit", p.Limit())
}

// detach stops a session's script and ends the session for reason.
func (g *governor) detach(s *session, u *usage, reason string) {
	u.detached = true
	s.eng.Kill(reason)
	s.Detach(reason)
}

// mib formats a size in MiB.
func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }
