package export

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace"
)

// The parts of a waterfall line after its label: a space, the gauge in
// brackets, a space and the duration (durWidth columns).
const (
	durWidth  = 9
	maxIndent = 16 // levels of indentation; deeper spans align with the 16th
	minLabel  = 16 // columns of a label indentation leaves
)

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
)

// A node is a span and its children in the waterfall.
type node struct {
	d        *jstrace.SpanData
	children []*node
}

// waterfall renders spans (one trace, in any order) as a tree, one line
// per span under a header, and a blank line:
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  12.35ms
//	gateway: GET /orders       [██████████████████████]   12.35ms
//	  gateway: load user       [..█████...............]    2.10ms
//
// Spans whose parent is not among them (the local root; more in a
// partial trace) are the tree's roots.
func waterfall(b *bytes.Buffer, spans []*jstrace.SpanData, more int, partial bool, width, gauge int, color bool) {
	if len(spans) == 0 {
		return
	}
	roots := tree(spans)
	t0, t1 := spans[0].Start, spans[0].Start.Add(spans[0].Duration)
	for _, d := range spans[1:] {
		if d.Start.Before(t0) {
			t0 = d.Start
		}
		if e := d.Start.Add(d.Duration); e.After(t1) {
			t1 = e
		}
	}
	total := t1.Sub(t0)

	head := "trace " + spans[0].TraceID.String() + "  " + plural(len(spans)+more, "span") + "  " + formatDuration(total)
	if more > 0 {
		head += "  (" + strconv.Itoa(more) + " not shown)"
	}
	if partial {
		head += "  (partial)"
	}
	paint(b, color, ansiBold, clip(head, width))
	b.WriteByte('\n')

	w := waterfallLine{b: b, t0: t0, total: total, label: width - gauge - 4 - durWidth, gauge: gauge, color: color}
	for _, r := range roots {
		w.walk(r, 0)
	}
	b.WriteByte('\n')
}

// tree links spans to their parents; it returns the roots, each level
// sorted by start time.
func tree(spans []*jstrace.SpanData) []*node {
	nodes := make(map[jstrace.SpanID]*node, len(spans))
	for _, d := range spans {
		if _, dup := nodes[d.SpanID]; !dup {
			nodes[d.SpanID] = &node{d: d}
		}
	}
	var roots []*node
	for _, d := range spans {
		n := nodes[d.SpanID]
		if n.d != d {
			continue // a duplicate ID: shown once
		}
		if p := nodes[d.ParentID]; p != nil && !d.RemoteParent && p != n {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	byStart := func(a, b *node) int {
		return cmp.Or(a.d.Start.Compare(b.d.Start), bytes.Compare(a.d.SpanID[:], b.d.SpanID[:]))
	}
	for _, n := range nodes {
		slices.SortFunc(n.children, byStart)
	}
	slices.SortFunc(roots, byStart)
	return roots
}

type waterfallLine struct {
	b            *bytes.Buffer
	t0           time.Time
	total        time.Duration
	label, gauge int
	color        bool
}

func (w *waterfallLine) walk(n *node, depth int) {
	w.line(n.d, depth)
	for _, c := range n.children {
		w.walk(c, depth+1)
	}
}

func (w *waterfallLine) line(d *jstrace.SpanData, depth int) {
	indent := strings.Repeat("  ", max(0, min(depth, maxIndent, (w.label-minLabel)/2))) // a narrow label: no indentation
	service := ""
	if d.Resource != nil {
		service = d.Resource.Service
	}
	label := clip(indent+printable(service)+": "+printable(d.Operation), w.label)
	w.b.WriteString(label)
	w.b.WriteString(strings.Repeat(" ", w.label-utf8.RuneCountInString(label)+1))

	from, to := w.cells(d)
	w.b.WriteByte('[')
	w.b.WriteString(strings.Repeat(".", from))
	barColor := ansiGreen
	if d.Error != nil {
		barColor = ansiRed
	}
	paint(w.b, w.color, barColor, strings.Repeat("█", to-from))
	w.b.WriteString(strings.Repeat(".", w.gauge-to))
	w.b.WriteString("] ")
	fmt.Fprintf(w.b, "%*s\n", durWidth, formatDuration(d.Duration))

	if e := d.Error; e != nil {
		msg := indent + "  ! " + printable(cmp.Or(e.Message, "error"))
		if e.Type != "" {
			msg += " (" + printable(e.Type) + ")"
		}
		paint(w.b, w.color, ansiRed, clip(msg, w.label+w.gauge+4+durWidth))
		w.b.WriteByte('\n')
	}
}

// cells returns the span's part of the gauge: [from, to), at least one
// cell wide.
func (w *waterfallLine) cells(d *jstrace.SpanData) (from, to int) {
	if w.total <= 0 {
		return 0, w.gauge
	}
	scale := float64(w.gauge) / float64(w.total)
	start := float64(d.Start.Sub(w.t0))
	from = int(math.Floor(start * scale))
	to = int(math.Ceil((start + float64(d.Duration)) * scale))
	from = min(max(from, 0), w.gauge-1)
	to = min(max(to, from+1), w.gauge)
	return from, to
}

func paint(b *bytes.Buffer, color bool, code, s string) {
	if !color || s == "" {
		b.WriteString(s)
		return
	}
	b.WriteString(code)
	b.WriteString(s)
	b.WriteString(ansiReset)
}

// printable replaces control characters (a terminal's escape sequences
// among them) and invalid UTF-8 with '?': names and error messages may
// come from anywhere.
func printable(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

// clip cuts s to n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + "…"
}

// formatDuration prints d with three or four significant digits.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(float64(d)/1e9, 'f', 3, 64) + "s"
	}
	return d.Round(time.Second).String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
