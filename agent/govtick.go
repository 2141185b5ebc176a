package agent

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// An action is what a window's tick decided for one session, done after
// the governor's lock is released: stopping a script takes time, and the
// session's log handler and console may block.
type action struct {
	s      *session
	reason string // detach for it
	note   int64  // else tell the script its Aggregations hold this
	watch  bool   // else check its handlers running where probes fired
}

func (a action) do() {
	if a.watch {
		// A handler that runs away where its probe fired is stopped by
		// whoever sees it first; in an idle service, this tick.
		if reason := a.s.eng.CheckInline(); reason != "" {
			a.s.Detach(reason) // if the handler's script code had returned already
		}
		return
	}
	if a.reason != "" {
		a.s.eng.Kill(a.reason)
		a.s.Detach(a.reason)
		return
	}
	msg := fmt.Sprintf("the script's aggregations hold %s, all they may together: traces that need more are dropped and counted (Aggregation.Dropped)", mib(a.note))
	a.s.console.print(protocol.ConsoleFault, msg+"\n")
	a.s.log.Info("aggregations full", "limit", a.note)
}

// tick measures one window of span and decides what to do about the
// budgets; it reports false, and the loop ends, once no session counts.
func (g *governor) tick(span time.Duration) ([]action, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sessions) == 0 {
		g.running = false
		return nil, false
	}
	type held struct {
		s     *session
		u     *usage
		bytes int64
	}
	var all []held
	var acts []action
	detach := func(s *session, u *usage, reason string) {
		u.detached = true
		acts = append(acts, action{s: s, reason: reason})
	}
	var load float64
	var mem int64
	for s, u := range g.sessions {
		if u.pending {
			mem += g.memory(s, u)
			continue
		}
		probes := s.fed.cpuTime()
		cpu, busy := s.eng.CPU()+probes, s.eng.Busy()+probes
		u.share = float64(cpu-u.cpu) / float64(span)
		u.load = float64(busy-u.busy) / float64(span)
		u.probeShare = float64(probes-u.probes) / float64(span)
		u.cpu, u.busy, u.probes = cpu, busy, probes
		if u.stuck {
			// Its thread holds no P while it blocks: charge what it burns.
			u.load = u.share
		}
		load += u.load
		h := held{s, u, g.memory(s, u)}
		mem += h.bytes
		all = append(all, h)
		if u.detached {
			continue
		}
		acts = append(acts, action{s: s, watch: true})
		if p := s.fed.pool; !u.noted && p.Used() >= p.Limit()-p.Limit()/32 {
			u.noted = true
			acts = append(acts, action{s: s, note: p.Limit()})
		}
		if u.share <= g.limits.MaxCPU {
			u.over = 0
		} else if u.over++; u.over >= budgetWindows {
			detach(s, u, fmt.Sprintf("the script used %.0f%% of a CPU for %ds (%.0f%% in its aggregations, on the service's goroutines); the limit is %.0f%%",
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
				detach(h.s, h.u, fmt.Sprintf("the agent's %d sessions used %.0f%% of a CPU together for %ds, past the limit of %.0f%% for all sessions; this one used %.0f%%, among the most",
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
				detach(h.s, h.u, fmt.Sprintf("the agent's sessions held %s together, past the limit of %s for all sessions; this one held %s, among the most",
					mib(mem), mib(g.totals.MaxMemory), mib(h.bytes)))
			}
			left -= h.bytes
		}
	}
	return acts, true
}

// mib formats a size in MiB.
func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }
