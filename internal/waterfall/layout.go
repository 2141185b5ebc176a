// Package waterfall lays out the spans of one trace as a terminal
// waterfall: one line per span, indented under its parent, with its
// service and operation, a bar showing when it ran within the trace, its
// duration, and its error, if any. It optionally marks the bottleneck
// (the span of the critical path with the most self time) and the orphans
// (spans whose parent is not in the trace).
//
// It is shared by package export's console exporter (spans of one
// process) and the CLI's `jstrace trace` (spans of a stored trace, from
// many services), and depends on the standard library only: export links
// it into services.
package waterfall

import (
	"cmp"
	"slices"
	"time"
)

// A Span is a span as the waterfall sees it, whatever its source.
type Span struct {
	// ID identifies the span within its trace; Parent is its parent's ID,
	// "" for a root. Any text: the waterfall only compares them.
	ID, Parent string
	// Service and Operation name the span on its line.
	Service, Operation string
	Start              time.Time
	Duration           time.Duration
	// Failed marks a span that ended with an error: Error is its message
	// ("" is shown as "error") and ErrorType its type, if known.
	Failed           bool
	Error, ErrorType string
}

// end is when the span ended; a negative duration counts as none.
func (s *Span) end() time.Time { return s.Start.Add(max(s.Duration, 0)) }

// Widths of a line.
const (
	MinWidth = 40   // narrowest line drawn: a narrower width is widened
	MaxWidth = 1024 // widest line drawn (a line is built whole in memory)
)

// Options configure a layout. The zero value works: 80 columns, a bar
// that takes what the labels leave, no colours, no marks.
type Options struct {
	// Width is the width of a line in columns, bounded to [MinWidth,
	// MaxWidth]. Default (0): 80.
	Width int
	// Gauge is the width of the bar. Default (0): fitted, the labels
	// taking what the longest needs, up to three fifths of the line, the
	// bar the rest. At most half the line.
	Gauge int
	// Color paints bars, errors and the bottleneck with ANSI colours.
	// Default false: plain text.
	Color bool
	// Bottleneck marks the bottleneck's line ("◀ bottleneck", "◀" on
	// narrow lines) and names it in the summary. Default false.
	Bottleneck bool
	// Orphans marks spans whose parent is not in the trace "(orphan)" and
	// shows them under the trace's root if it has exactly one. Default
	// false: such spans are shown as roots, unmarked (the console exporter's
	// local roots are such spans).
	Orphans bool
}

// node is a span placed in the tree.
type node struct {
	s        *Span
	parent   int   // index in Layout.nodes; -1 for a top-level span
	children []int // sorted by start
	orphan   bool  // its parent is not in the trace, or in a cycle with it
	moved    bool  // drawn moved into its parent: another service's clock
	// vs, ve are where the span is drawn (its own times unless moved).
	vs, ve time.Time
	self   time.Duration
	depth  int // in the tree, 0 at the top
	line   int // its place in print order
}

// A Layout is a trace laid out, ready to write. It is not safe for
// concurrent use; its methods only read it, so once built it can be
// written from one goroutine at a time.
type Layout struct {
	o      Options
	nodes  []node
	top    []int // top-level nodes, sorted by start
	rows   []row // nodes in print order
	t0     time.Time
	total  time.Duration
	path   []int // the critical path, depth first
	neck   int   // the bottleneck, -1 when none
	label  int   // columns of a label
	gauge  int   // columns of the bar
	mark   string
	moved  int // spans moved into their parents
	orphan int // orphans
}

type row struct{ node, depth int }

// New lays out spans, given in any order. A span whose ID was seen before
// is left out; spans whose parent links form a cycle are shown as orphans.
func New(spans []Span, o Options) *Layout {
	l := &Layout{o: o, neck: -1}
	l.o.Width = clampWidth(o.Width)
	ids := make(map[string]int, len(spans))
	for i := range spans {
		if _, dup := ids[spans[i].ID]; dup {
			continue
		}
		ids[spans[i].ID] = len(l.nodes)
		l.nodes = append(l.nodes, node{s: &spans[i], parent: -1})
	}
	l.link(ids)
	l.place()
	l.flatten()
	l.critical()
	l.fit()
	return l
}

// byStart orders nodes by start, then ID.
func (l *Layout) byStart(a, b int) int {
	x, y := l.nodes[a].s, l.nodes[b].s
	return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID))
}

// link sets parents and children: a span whose parent is missing, itself,
// or in a cycle with it is an orphan; orphans go under the single root
// when Options.Orphans says so, else to the top.
func (l *Layout) link(ids map[string]int) {
	roots := 0
	for i := range l.nodes {
		n := &l.nodes[i]
		if n.s.Parent == "" {
			roots++
			continue
		}
		if p, ok := ids[n.s.Parent]; ok && p != i {
			n.parent = p
			l.nodes[p].children = append(l.nodes[p].children, i)
		} else {
			n.orphan = true
		}
	}
	l.breakCycles()
	root := -1
	if l.o.Orphans && roots == 1 {
		root = slices.IndexFunc(l.nodes, func(n node) bool { return n.s.Parent == "" })
	}
	for i := range l.nodes {
		n := &l.nodes[i]
		switch {
		case n.orphan && root >= 0:
			n.parent = root
			l.nodes[root].children = append(l.nodes[root].children, i)
		case n.parent < 0:
			l.top = append(l.top, i)
		}
		if n.orphan {
			l.orphan++
		}
	}
	for i := range l.nodes {
		slices.SortFunc(l.nodes[i].children, l.byStart)
	}
	slices.SortFunc(l.top, l.byStart)
}

// breakCycles makes orphans of the spans no top-level span leads to (they
// hang from a cycle of parent links), earliest first, until every span is
// reachable.
func (l *Layout) breakCycles() {
	seen := make([]bool, len(l.nodes))
	var stack []int
	mark := func(i int) {
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			seen[j] = true
			stack = append(stack, l.nodes[j].children...)
		}
	}
	for i := range l.nodes {
		if l.nodes[i].parent < 0 {
			mark(i)
		}
	}
	var lost []int
	for i := range l.nodes {
		if !seen[i] {
			lost = append(lost, i)
		}
	}
	slices.SortFunc(lost, l.byStart)
	for _, i := range lost {
		if seen[i] {
			continue
		}
		n := &l.nodes[i]
		p := &l.nodes[n.parent]
		p.children = slices.DeleteFunc(p.children, func(c int) bool { return c == i })
		n.parent, n.orphan = -1, true
		mark(i)
	}
}

// place sets where each span is drawn and the trace's time range. A child
// of another service than its parent's ran on another clock: when it falls
// outside its parent, it is moved inside (its descendants with it), and
// cut to its parent if longer. Spans of one service are drawn as they ran
// (an asynchronous child may outlive its parent).
func (l *Layout) place() {
	type item struct {
		i     int
		shift time.Duration
	}
	var (
		stack []item
		t1    time.Time
		first = true
	)
	for _, t := range l.top {
		stack = append(stack, item{t, 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := &l.nodes[it.i]
		n.vs, n.ve = n.s.Start.Add(it.shift), n.s.end().Add(it.shift)
		if n.parent >= 0 {
			p := &l.nodes[n.parent]
			if n.s.Service != p.s.Service && (n.vs.Before(p.vs) || n.ve.After(p.ve)) {
				d := p.ve.Sub(n.ve) // too late: end with the parent
				if n.vs.Before(p.vs) || n.ve.Sub(n.vs) > p.ve.Sub(p.vs) {
					d = p.vs.Sub(n.vs) // too early, or too long: start with it
				}
				n.vs, n.ve = n.vs.Add(d), n.ve.Add(d)
				if n.ve.After(p.ve) {
					n.ve = p.ve
				}
				it.shift += d
				n.moved = true
				l.moved++
			}
		}
		if first || n.vs.Before(l.t0) {
			l.t0 = n.vs
		}
		if first || n.ve.After(t1) {
			t1 = n.ve
		}
		first = false
		for _, c := range n.children {
			stack = append(stack, item{c, it.shift})
		}
	}
	l.total = t1.Sub(l.t0)
}
