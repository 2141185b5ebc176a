package waterfall

import (
	"bytes"
	"cmp"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The parts of a span's line after its label: a space, the bar in
// brackets, a space and the duration (durWidth columns), then the mark of
// the bottleneck if any.
const (
	durWidth  = 9
	tailWidth = 1 + 2 + 1 + durWidth // the label's space, "[" "]", " ", duration
	maxIndent = 16                   // levels of indentation; deeper spans align with the 16th
	minLabel  = 16                   // columns of a label indentation leaves
	orphanTag = "(orphan) "
	// minGaugeLabel is the narrowest label left by Options.Gauge.
	minGaugeLabel = 4
)

// The bottleneck's mark, and the shorter one of lines under wideMark
// columns.
const (
	longMark  = " ◀ bottleneck"
	shortMark = " ◀"
	wideMark  = 80
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[1;33m"
)

// flatten lists the nodes in print order: depth first, each level by
// start.
func (l *Layout) flatten() {
	l.rows = make([]row, 0, len(l.nodes))
	stack := make([]row, 0, len(l.top))
	for i := len(l.top) - 1; i >= 0; i-- {
		stack = append(stack, row{l.top[i], 0})
	}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l.nodes[r.node].depth, l.nodes[r.node].line = r.depth, len(l.rows)
		l.rows = append(l.rows, r)
		ch := l.nodes[r.node].children
		for i := len(ch) - 1; i >= 0; i-- {
			stack = append(stack, row{ch[i], r.depth + 1})
		}
	}
}

// fit shares a line between the label, the bar and the mark.
func (l *Layout) fit() {
	w := l.o.Width
	if l.o.Bottleneck && l.neck >= 0 {
		l.mark = shortMark
		if w >= wideMark {
			l.mark = longMark
		}
	}
	avail := w - tailWidth - utf8.RuneCountInString(l.mark)
	if l.o.Gauge > 0 {
		l.gauge = min(l.o.Gauge, w/2, avail-minGaugeLabel)
		l.label = avail - l.gauge
		return
	}
	need := 0
	for _, r := range l.rows {
		need = max(need, 2*min(r.depth, maxIndent)+utf8.RuneCountInString(l.text(r.node)))
	}
	l.label = max(min(need, avail*3/5), min(minLabel, avail/2))
	l.gauge = avail - l.label
}

// text is a span's label without its indentation.
func (l *Layout) text(i int) string {
	n := &l.nodes[i]
	t := printable(n.s.Service) + ": " + printable(n.s.Operation)
	if n.orphan && l.o.Orphans {
		t = orphanTag + t
	}
	return t
}

// WriteHeader writes text as the waterfall's first line: bold on colours,
// cut to the width.
func (l *Layout) WriteHeader(b *bytes.Buffer, text string) {
	paint(b, l.o.Color, ansiBold, clip(printable(text), l.o.Width))
	b.WriteByte('\n')
}

// WriteSpans writes a line per span, and a line under each failed span
// with its error.
func (l *Layout) WriteSpans(b *bytes.Buffer) {
	b.Grow(len(l.rows) * (l.o.Width + 2*l.gauge)) // the bar's cells take up to 3 bytes
	for _, r := range l.rows {
		l.line(b, r)
	}
}

func (l *Layout) line(b *bytes.Buffer, r row) {
	n := &l.nodes[r.node]
	neck := r.node == l.neck && l.mark != ""
	indent := strings.Repeat("  ", max(0, min(r.depth, maxIndent, (l.label-minLabel)/2))) // a narrow label: no indentation
	label := clip(indent+l.text(r.node), l.label)
	if neck {
		paint(b, l.o.Color, ansiYellow, label)
	} else {
		b.WriteString(label)
	}
	b.WriteString(strings.Repeat(" ", l.label-utf8.RuneCountInString(label)+1))

	from, to := l.cells(n)
	b.WriteByte('[')
	repeat(b, ".", from)
	if l.o.Color {
		code := ansiGreen
		if n.s.Failed {
			code = ansiRed
		}
		b.WriteString(code)
	}
	repeat(b, "█", to-from)
	if l.o.Color {
		b.WriteString(ansiReset)
	}
	repeat(b, ".", l.gauge-to)
	b.WriteString("] ")
	d := FormatDuration(n.s.Duration)
	b.WriteString(strings.Repeat(" ", max(durWidth-utf8.RuneCountInString(d), 0)))
	b.WriteString(d)
	if neck {
		paint(b, l.o.Color, ansiYellow, l.mark)
	}
	b.WriteByte('\n')

	if n.s.Failed {
		msg := indent + "  ! " + printable(cmp.Or(n.s.Error, "error"))
		if n.s.ErrorType != "" {
			msg += " (" + printable(n.s.ErrorType) + ")"
		}
		paint(b, l.o.Color, ansiRed, clip(msg, l.label+l.gauge+tailWidth))
		b.WriteByte('\n')
	}
}

// cells returns the span's part of the bar: [from, to), at least one cell
// wide.
func (l *Layout) cells(n *node) (from, to int) {
	if l.total <= 0 {
		return 0, l.gauge
	}
	scale := float64(l.gauge) / float64(l.total)
	from = int(math.Floor(float64(n.vs.Sub(l.t0)) * scale))
	to = int(math.Ceil(float64(n.ve.Sub(l.t0)) * scale))
	from = min(max(from, 0), l.gauge-1)
	to = min(max(to, from+1), l.gauge)
	return from, to
}

// WriteSummary writes, when Options ask for marks, a line naming the
// bottleneck, and a line each about orphans and spans moved into their
// parents, if any, each wrapped at the width:
//
//	bottleneck: payments charge 812.00ms self (of 830.00ms), span 00f067aa0ba902b7
func (l *Layout) WriteSummary(b *bytes.Buffer) {
	if l.o.Bottleneck && l.neck >= 0 {
		n := &l.nodes[l.neck]
		s := "bottleneck: " + printable(n.s.Service) + " " + printable(n.s.Operation) + " " +
			FormatDuration(n.self) + " self (of " + FormatDuration(n.s.Duration) + "), span " + printable(n.s.ID)
		for _, line := range wrap(s, l.o.Width) {
			paint(b, l.o.Color, ansiYellow, line)
			b.WriteByte('\n')
		}
	}
	if l.o.Orphans && l.orphan > 0 {
		where := "at the top"
		if len(l.top) == 1 && !l.nodes[l.top[0]].orphan {
			where = "under the root"
		}
		writeWrapped(b, Plural(l.orphan, "orphan")+": parent not in the trace (not arrived, or lost); shown "+where, l.o.Width)
	}
	if l.o.Orphans && l.moved > 0 {
		writeWrapped(b, Plural(l.moved, "span")+" drawn moved into the parent's time: clock skew between hosts", l.o.Width)
	}
}

// Total is the time from the first span's start to the last one's end,
// as drawn.
func (l *Layout) Total() time.Duration { return l.total }

// Bottleneck returns the bottleneck and its self time; ok is false for no
// spans.
func (l *Layout) Bottleneck() (s *Span, self time.Duration, ok bool) {
	if l.neck < 0 {
		return nil, 0, false
	}
	return l.nodes[l.neck].s, l.nodes[l.neck].self, true
}

// CriticalPath returns the spans of the critical path, depth first: each
// span before those it waited on, the later ones first.
func (l *Layout) CriticalPath() []*Span {
	p := make([]*Span, len(l.path))
	for k, i := range l.path {
		p[k] = l.nodes[i].s
	}
	return p
}

// Order returns the spans in the order their lines are written, each with
// its depth in the tree.
func (l *Layout) Order() (spans []*Span, depths []int) {
	for _, r := range l.rows {
		spans = append(spans, l.nodes[r.node].s)
		depths = append(depths, r.depth)
	}
	return spans, depths
}

// Offsets returns, in Order's order, where each span is drawn from the
// trace's start: its own start, unless it was moved into its parent
// (another service's clock).
func (l *Layout) Offsets() []time.Duration {
	o := make([]time.Duration, len(l.rows))
	for k, r := range l.rows {
		o[k] = l.nodes[r.node].vs.Sub(l.t0)
	}
	return o
}

// Orphans returns how many spans have no parent in the trace.
func (l *Layout) Orphans() int { return l.orphan }

// repeat writes s n times.
func repeat(b *bytes.Buffer, s string, n int) {
	for range n {
		b.WriteString(s)
	}
}
