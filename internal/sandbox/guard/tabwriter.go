package guard

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// TabWriter is text/tabwriter.Writer for scripts, who see it under that
// name. tabwriter pads every cell to the column's width, at least minwidth
// plus padding: a minwidth of 1<<40 makes one tab a terabyte, written
// eight bytes at a time by native code the watchdog cannot interrupt.
// TabWriter refuses a Write whose buffered cells could make more than
// MaxAlloc. Like tabwriter.Writer, it is not safe for concurrent use.
type TabWriter struct {
	w                           tabwriter.Writer
	minwidth, tabwidth, pad     int64
	pending, cells, widest, cur int64 // buffered since the last Flush: bytes, cells, the widest cell, the open cell's width
	inited                      bool
}

// NewTabWriter is tabwriter.NewWriter.
func NewTabWriter(output io.Writer, minwidth, tabwidth, padding int, padchar byte, flags uint) *TabWriter {
	return new(TabWriter).Init(output, minwidth, tabwidth, padding, padchar, flags)
}

// Init is tabwriter.Writer.Init.
func (b *TabWriter) Init(output io.Writer, minwidth, tabwidth, padding int, padchar byte, flags uint) *TabWriter {
	b.w.Init(output, minwidth, tabwidth, padding, padchar, flags) // panics on negative values
	b.minwidth, b.tabwidth, b.pad = int64(minwidth), int64(tabwidth), int64(padding)
	b.pending, b.cells, b.widest, b.cur, b.inited = 0, 0, 0, 0, true
	return b
}

// Write is tabwriter.Writer.Write, refusing input whose cells could be
// padded past MaxAlloc before the next Flush.
func (b *TabWriter) Write(buf []byte) (int, error) {
	if !b.inited {
		panic("tabwriter: Write to a Writer not made by NewWriter or Init")
	}
	b.pending += int64(len(buf))
	for _, c := range buf {
		if c == '\t' || c == '\v' || c == '\n' || c == '\f' {
			b.cells++
			b.widest, b.cur = max(b.widest, b.cur), 0
		} else {
			b.cur++
		}
	}
	// Each cell is padded to at most its column's width: the widest cell
	// or minwidth, plus padding and a tab's rounding.
	width := max(b.minwidth, b.widest, b.cur) + b.pad + b.tabwidth
	if b.cells > 0 && width > (MaxAlloc-b.pending)/b.cells {
		panic(fmt.Sprintf("tabwriter: padding %d cells would exceed the scripts' limit of %d MiB", b.cells, MaxAlloc>>20))
	}
	return b.w.Write(buf)
}

// Flush is tabwriter.Writer.Flush.
func (b *TabWriter) Flush() error {
	if !b.inited {
		panic("tabwriter: Flush of a Writer not made by NewWriter or Init")
	}
	b.pending, b.cells, b.widest, b.cur = 0, 0, 0, 0
	return b.w.Flush()
}
