package waterfall

import (
	"cmp"
	"slices"
	"time"
)

// critical sets each span's self time, the critical path and the
// bottleneck.
//
// The critical path is the chain of spans the trace waited on. It starts
// at the root (without one, the top-level spans are taken as the children
// of a root that spans them all); in a span on it, walking back from the
// span's end, it goes on to the child that ends last, then, before that
// child started, to the child that ends last before that, and so on, and
// into each of those children the same way. A child running beside the one on the path is not on it. (Taking
// only the child that ends last would miss the slow call followed by a
// short one, as an HTTP handler's response after its database query.)
//
// A span's self time is its duration minus the union of its children's
// intervals (as drawn, cut to the span's own). The bottleneck is the span
// of the critical path with the most self time; ties go to the deeper
// span, the more precise culprit, then to the earlier line.
func (l *Layout) critical() {
	var spans []interval
	for i := range l.nodes {
		spans = l.selfTime(i, spans[:0])
	}
	var byEnd []int
	// waited appends to stack the spans of nodes the critical path goes
	// through, the latest last.
	waited := func(stack, nodes []int) []int {
		byEnd = append(byEnd[:0], nodes...)
		slices.SortStableFunc(byEnd, func(a, b int) int { return l.nodes[b].ve.Compare(l.nodes[a].ve) })
		var cursor time.Time
		taken := len(stack)
		for k, c := range byEnd {
			if k == 0 || !l.nodes[c].ve.After(cursor) {
				stack = append(stack, c)
				cursor = l.nodes[c].vs
			}
		}
		slices.Reverse(stack[taken:])
		return stack
	}
	for stack := waited(nil, l.top); len(stack) > 0; {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l.path = append(l.path, i)
		stack = waited(stack, l.nodes[i].children)
	}
	for _, i := range l.path {
		if l.neck < 0 || l.heavier(i, l.neck) {
			l.neck = i
		}
	}
}

// heavier reports whether node a is more the bottleneck than node b.
func (l *Layout) heavier(a, b int) bool {
	x, y := &l.nodes[a], &l.nodes[b]
	return cmp.Or(cmp.Compare(x.self, y.self), cmp.Compare(x.depth, y.depth), cmp.Compare(y.line, x.line)) > 0
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
