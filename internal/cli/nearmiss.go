package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Bounds of what the CLI keeps of the agents' Warnings: an agent sends
// few, but a hostile one could send many.
const (
	maxMissed     = 64 // patterns reported unmatched, waiting for the other agents
	maxNearNames  = 32 // near misses kept per pattern, from all agents
	nearShown     = 3  // near misses a warning names
	maxFieldsSeen = 16 // fields seen a warning lists
)

// nearMisses is what the tracer keeps of the agents' Warnings of patterns
// matching no probe; guarded by the tracer's mu.
type nearMisses struct {
	missed  map[string]*missed // by pattern
	emitted []string           // names Remote emitted, for warnLocal
}

// missed is a pattern of Remote that some agents found matching none of
// their probes.
type missed struct {
	by   map[string]bool // addresses of the agents that reported it
	near []string        // their near misses
	told bool
}

var _ client.WarningHandler = (*tracer)(nil)

// Warning handles a Warning from an agent. A pattern that matches no probe
// is told once, when every agent attached has reported it: a pattern that
// matches in one process is right. A pattern of Local is told at the end
// (see warnLocal), if no event Remote emitted matched it either. A field
// never seen is told once, at the first report.
func (t *tracer) Warning(c *client.Conn, w protocol.Warning) {
	switch w.Kind {
	case protocol.WarnNoProbe:
		if slices.Contains(t.attach.LocalPatterns, w.Pattern) {
			t.missedBy(c.Addr, w)
			return
		}
		if near, ok := t.missedEverywhere(c.Addr, w); ok {
			t.out.errorf("warning: no probe matches %q in any attached process%s", t.out.field(w.Pattern), didYouMean(near, t.out.field))
		}
	case protocol.WarnNoField:
		if !t.firstTime("field\x00" + w.Pattern + "\x00" + w.Field) {
			return
		}
		msg := fmt.Sprintf("warning: aggregation on %q: field %q never seen", t.out.field(w.Pattern), t.out.field(w.Field))
		if seen := fieldsSeen(w.Field, w.Near); len(seen) > 0 {
			msg += "; fields seen: " + joinFields(seen, t.out.field)
		}
		t.out.errorf("%s", msg)
	}
}

// missedEverywhere notes that the agent at addr found w.Pattern matching
// no probe, and reports whether every agent attached now has, for the
// first time: then near are the near misses of them all, closest first.
func (t *tracer) missedEverywhere(addr string, w protocol.Warning) (near []string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.noteMissed(addr, w)
	if m == nil || m.told || !t.everyAgent(m) {
		return nil, false
	}
	m.told = true
	return match.Near(w.Pattern, m.near, nearShown), true
}

// missedBy notes that the agent at addr found w.Pattern matching no probe.
func (t *tracer) missedBy(addr string, w protocol.Warning) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.noteMissed(addr, w)
}

// noteMissed notes w from the agent at addr and returns its pattern's
// record, nil if there are too many; the caller holds mu.
func (t *tracer) noteMissed(addr string, w protocol.Warning) *missed {
	if t.near.missed == nil {
		t.near.missed = map[string]*missed{}
	}
	m := t.near.missed[w.Pattern]
	if m == nil {
		if len(t.near.missed) >= maxMissed {
			return nil
		}
		m = &missed{by: map[string]bool{}}
		t.near.missed[w.Pattern] = m
	}
	m.by[addr] = true
	for _, n := range w.Near {
		if len(m.near) < maxNearNames && !slices.Contains(m.near, n) {
			m.near = append(m.near, n)
		}
	}
	return m
}

// everyAgent reports whether every agent attached reported m; the caller
// holds mu. Agents being dialed (a rescan) do not count: they have not
// attached yet, and their reports would come too late anyway.
func (t *tracer) everyAgent(m *missed) bool {
	for addr, a := range t.agents {
		if a.conn != nil && !m.by[addr] {
			return false
		}
	}
	return len(m.by) > 0
}

// noteEmitted notes a name Remote emitted, the first time the CLI sees it,
// for warnLocal; at most maxWarned are.
func (t *tracer) noteEmitted(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.near.emitted) < maxWarned { // always: so are the names firstTime notes
		t.near.emitted = append(t.near.emitted, name)
	}
}

// warnLocal tells, at the end, of each pattern of Local that every agent
// found matching none of its probes, and that matched no name Remote
// emitted either (unless there were too many names to know: see
// firstTime).
func (t *tracer) warnLocal() {
	t.mu.Lock()
	var lines []string
	for _, p := range t.attach.LocalPatterns {
		m := t.near.missed[p]
		if m == nil || m.told || !t.everyAgent(m) || t.unwarned > 0 {
			continue
		}
		set, err := match.Compile(p)
		if err != nil || slices.ContainsFunc(t.near.emitted, set.Match) {
			continue
		}
		m.told = true
		lines = append(lines, fmt.Sprintf("warning: nothing matches %q in Local: no probe in any attached process, no event Remote emitted%s",
			t.out.field(p), didYouMean(match.Near(p, m.near, nearShown), t.out.field)))
	}
	t.mu.Unlock()
	for _, l := range lines {
		t.out.errorf("%s", l)
	}
}

// didYouMean is " (did you mean a, b?)", or "" without near misses.
func didYouMean(near []string, field func(string) string) string {
	if len(near) == 0 {
		return ""
	}
	return " (did you mean " + joinFields(near, field) + "?)"
}

// fieldsSeen returns the fields seen, those close to field first, at most
// maxFieldsSeen.
func fieldsSeen(field string, seen []string) []string {
	out := match.Near(field, seen, nearShown)
	for _, s := range seen {
		if len(out) == maxFieldsSeen {
			break
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func joinFields(names []string, field func(string) string) string {
	safe := make([]string, len(names))
	for i, n := range names {
		safe[i] = field(n)
	}
	return strings.Join(safe, ", ")
}
