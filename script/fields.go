package script

import (
	"slices"
	"strings"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Bounds of what an Aggregation notes of the fields its traces had, for
// FieldReport: it notes the keys of at most maxNotedTraces traces, at most
// maxSeenFields keys of at most maxSeenKey bytes.
const (
	maxNotedTraces = 8
	maxSeenFields  = 16
	maxSeenKey     = 64
)

// fieldReport is Feed.Fields. It holds the lock for a moment.
func (a *Aggregation) fieldReport() link.FieldReport {
	missing := a.Missing()
	a.mu.Lock()
	defer a.mu.Unlock()
	r := link.FieldReport{Seen: slices.Clone(a.seen)}
	if a.spec.Of != "" && missing > 0 && !a.made {
		r.Missing = append(r.Missing, a.spec.Of)
	}
	if len(a.s.by) == 1 && a.made && !a.keyed && !slices.Contains(a.seen, a.spec.By) {
		r.Missing = append(r.Missing, a.spec.By)
	}
	if len(a.s.by) > 1 && a.made {
		for j, name := range a.s.names {
			if !a.bySeen[j].Load() && !slices.Contains(a.seen, name) {
				r.Missing = append(r.Missing, name)
			}
		}
	}
	if a.whereMissed.Load() && !a.whereSeen.Load() && !slices.Contains(a.seen, a.s.where.name) {
		r.Missing = append(r.Missing, a.s.where.name)
	}
	return r
}

// wantKeys reports whether the keys of the trace just counted should be
// noted: it lacked Of, or started the group of the traces without By. The
// caller holds a shard's lock; this runs on those rare paths only.
func (a *Aggregation) wantKeys(ok, fresh bool, key []byte) bool {
	return a.noted.Load() < maxNotedTraces && (!ok || fresh && len(key) == 0 && a.spec.By != "")
}

// noteArgs notes the keys of plain fields (jstrace.Event.Args).
func (a *Aggregation) noteArgs(kv []any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noted.Add(1)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			a.noteKey(k)
		}
	}
}

// noteFields notes the keys of encoded fields.
func (a *Aggregation) noteFields(fields []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noted.Add(1)
	for f := fields; len(f) > 0; {
		k, _, rest, err := protocol.NextField(f)
		if err != nil {
			return
		}
		a.noteKey(string(k))
		f = rest
	}
}

// noteKey adds a raw key, as scripts read it, to seen; the caller holds mu.
// The key is copied: a probe's keys may be on its caller's stack (see
// jstrace.Event.Args), gone once the probe returns.
func (a *Aggregation) noteKey(raw string) {
	if len(a.seen) >= maxSeenFields || len(raw) > maxSeenKey || raw == "" {
		return
	}
	if k := link.PresentKey(raw); !slices.Contains(a.seen, k) {
		a.seen = append(a.seen, strings.Clone(k))
	}
}
