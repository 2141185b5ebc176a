package waterfall

import (
	"cmp"
	"slices"
	"time"
)

// critical sets each span's self time, the critical path and the
// bottleneck.
//
// The critical path starts at the top-level span that ends last (the
// root, in a whole trace) and goes on, repeatedly, to the child that ends
// last, down to a span without children; ties go to the earlier child.
// A span's self time is its duration minus the union of its children's
// intervals (as drawn, and cut to the span's own). The bottleneck is the
// span of the critical path with the most self time; ties go to the
// deeper span, the more precise culprit.
func (l *Layout) critical() {
	var spans []interval
	for i := range l.nodes {
		spans = l.selfTime(i, spans[:0])
	}
	next := lastEnding(l, l.top)
	for next >= 0 {
		l.path = append(l.path, next)
		next = lastEnding(l, l.nodes[next].children)
	}
	for _, i := range l.path {
		if l.neck < 0 || l.nodes[i].self >= l.nodes[l.neck].self {
			l.neck = i
		}
	}
}

// lastEnding returns the node among nodes that ends last (as drawn), the
// first of those if several, or -1 if nodes is empty.
func lastEnding(l *Layout, nodes []int) int {
	last := -1
	for _, i := range nodes {
		if last < 0 || l.nodes[i].ve.After(l.nodes[last].ve) {
			last = i
		}
	}
	return last
}

type interval struct{ from, to time.Time }

// selfTime sets node i's self time; buf is scratch space, returned for
// reuse.
func (l *Layout) selfTime(i int, buf []interval) []interval {
	n := &l.nodes[i]
	for _, c := range n.children {
		from, to := l.nodes[c].vs, l.nodes[c].ve
		if from.Before(n.vs) {
			from = n.vs
		}
		if to.After(n.ve) {
			to = n.ve
		}
		if to.After(from) {
			buf = append(buf, interval{from, to})
		}
	}
	slices.SortFunc(buf, func(a, b interval) int { return cmp.Or(a.from.Compare(b.from), a.to.Compare(b.to)) })
	var busy time.Duration
	for k := 0; k < len(buf); {
		from, to := buf[k].from, buf[k].to
		for k++; k < len(buf) && !buf[k].from.After(to); k++ {
			if buf[k].to.After(to) {
				to = buf[k].to
			}
		}
		busy += to.Sub(from)
	}
	n.self = max(n.s.Duration-busy, 0)
	return buf
}
