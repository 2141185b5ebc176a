package agent

import (
	"slices"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// Mistakes that would fail silently, told to a CLI that asks
// (protocol.AttachWarnings): a pattern that matches no probe,
// an Aggregation field no trace has. The checks run on the session's
// goroutine, never on a probe's: a probe registered lazily is given
// warnGrace to appear before its pattern is said to match nothing.
const (
	// warnGrace is how long after Attached the patterns are checked (at
	// the session's end if it comes first); fields are checked from then
	// on, every warnEvery, until the end.
	warnGrace = 2 * time.Second
	warnEvery = time.Second
	// maxWarnings bounds the Warnings of each kind a session sends.
	maxWarnings = 8
	// nearMisses is how many near misses a Warning names.
	nearMisses = 3
)

// warner finds a session's mistakes. Its methods run on the session's
// goroutine, except feed, which runs on the engine's.
type warner struct {
	s       *session
	start   time.Time
	checked bool // the patterns were

	mu   sync.Mutex
	aggs []fedAgg // the Aggregations fed by probes
	// more is signalled when an Aggregation is added: the session's
	// goroutine, which stops ticking when nothing is left to check
	// (idle), ticks again. Capacity 1.
	more chan struct{}

	told   map[string]bool // "pattern\x00field" of the field Warnings sent
	fields int             // field Warnings sent
}

type fedAgg struct {
	pattern string
	fields  func() scripthost.FieldReport
}

// feed is the engine's Options.Feed: fed.subscribe, noting the
// Aggregation for the field checks.
func (w *warner) feed(pattern string, f scripthost.Feed) error {
	if err := w.s.fed.subscribe(pattern, f); err != nil {
		return err
	}
	if f.Fields != nil {
		w.mu.Lock()
		w.aggs = append(w.aggs, fedAgg{pattern, f.Fields})
		w.mu.Unlock()
		select {
		case w.more <- struct{}{}:
		default:
		}
	}
	return nil
}

// idle reports whether the ticks have nothing left to check: the patterns
// were checked, and no Aggregation has a field check left (none has
// fields to check, or every field Warning was sent). A session whose
// script has no Aggregation then no longer wakes the service every
// warnEvery.
func (w *warner) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.checked && (len(w.aggs) == 0 || w.fields == maxWarnings)
}

// enabled reports whether the CLI asked for Warnings.
func (w *warner) enabled() bool { return w.s.attach.Flags&protocol.AttachWarnings != 0 }

// tick runs the checks that are due; end says the session is ending, when
// every check is due.
func (w *warner) tick(end bool) {
	if !w.enabled() || !end && time.Since(w.start) < warnGrace {
		return
	}
	if !w.checked {
		w.checked = true
		w.checkPatterns()
	}
	w.checkFields()
}

// checkPatterns sends a Warning for each pattern of Remote, or of Local
// (which the CLI also matches with what Remote emits), that matches no
// probe, naming the probes it nearly matches.
func (w *warner) checkPatterns() {
	names := jstrace.Probes() // sorted; the registry's lock is held for the copy only
	sent := 0
	for _, p := range unmatched(append(w.s.eng.Patterns(), w.s.local.Patterns()...), names) {
		if sent == maxWarnings {
			break
		}
		sent++
		w.send(&protocol.Warning{Kind: protocol.WarnNoProbe, Pattern: p, Near: match.Near(p, names, nearMisses)})
	}
}

// unmatched returns the patterns (valid ones, those of the engine) that
// match none of names, which are sorted. Each costs a binary search if it
// has no wildcard, else a match per name until one matches: at most the
// names times match.MaxCost steps for all the patterns of one set.
func unmatched(patterns, names []string) []string {
	var out []string
	for _, p := range patterns {
		if slices.Contains(out, p) {
			continue
		}
		set, err := match.Compile(p)
		if err != nil {
			continue
		}
		if _, found := slices.BinarySearch(names, p); found || slices.ContainsFunc(names, set.Match) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkFields sends a Warning for each field of an Aggregation that none
// of its traces had so far.
func (w *warner) checkFields() {
	w.mu.Lock()
	aggs := slices.Clone(w.aggs)
	w.mu.Unlock()
	for _, a := range aggs {
		r := a.fields()
		for _, f := range r.Missing {
			key := a.pattern + "\x00" + f
			if w.told[key] || w.fields == maxWarnings {
				continue
			}
			if w.told == nil {
				w.told = map[string]bool{}
			}
			w.told[key] = true
			w.fields++
			w.send(&protocol.Warning{Kind: protocol.WarnNoField, Pattern: a.pattern, Field: f, Near: r.Seen})
		}
	}
}

func (w *warner) send(m *protocol.Warning) {
	if err := w.s.fw.Send(protocol.FrameWarning, m); err != nil {
		w.s.log.Debug("warning not sent", "err", err)
	}
}
