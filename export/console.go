package export

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// ConsoleOptions configure a console exporter. The zero value works.
type ConsoleOptions struct {
	// Width is the width of a line in columns. Default: the terminal's
	// width when the writer is a terminal, else $COLUMNS, else 80.
	Width int // at most 1024
	// GaugeWidth is the width of the bar that shows when each span ran
	// within its trace. Default: two fifths of Width.
	GaugeWidth int
	// Color chooses ANSI colours. Default: ColorAuto, colours only when
	// the writer is a terminal.
	Color ColorMode
	// MaxTraces bounds the traces being assembled at once; spans of
	// further traces are dropped and counted. Default: 256.
	MaxTraces int
	// MaxSpans bounds the spans kept per trace; the waterfall says how
	// many more there were. Default: 512.
	MaxSpans int
	// MaxWait is how long a trace waits for its local root span: after it,
	// the spans that came are printed as a partial trace, and counted.
	// Default: 30s.
	MaxWait time.Duration
}

// ColorMode chooses whether the console exporter uses ANSI colours.
// maxWidth bounds the width (COLUMNS may say anything): a line is built
// whole in memory.
const maxWidth = 1024

type ColorMode int

const (
	ColorAuto   ColorMode = iota // colours when the writer is a terminal
	ColorAlways                  // always colours
	ColorNever                   // never colours
)

// ConsoleExporter prints each trace of this process as a waterfall when
// its local root span ends (see [Console]). Its methods are safe for
// concurrent use.
type ConsoleExporter struct {
	mu     sync.Mutex
	w      io.Writer
	o      ConsoleOptions
	color  bool
	traces map[jstrace.TraceID]*pending
	stats  ConsoleStats
	buf    bytes.Buffer     // rendered traces, not yet written
	ends   []int            // where each rendered trace ends in buf
	now    func() time.Time // tests
}

// ConsoleStats count what a console exporter printed and dropped.
type ConsoleStats struct {
	Printed int // traces printed whole: their local root ended
	Partial int // traces printed without their local root, after MaxWait or at Shutdown
	Dropped int // spans dropped because MaxTraces traces were being assembled
}

// pending is a trace being assembled: the spans that ended so far.
type pending struct {
	first time.Time // when its first span came
	spans []*jstrace.SpanData
	more  int // spans past MaxSpans
}

// Console returns Moleculer's console exporter: when the local root of a
// trace ends (a span whose parent is in another process, or that has
// none), it writes to w a waterfall of the spans of that trace that ran in
// this process, one line per span, indented under its parent: its
// service and operation, a bar showing when it ran within the trace, its
// duration, and its error, if any. It is a debugging aid: it cannot
// follow a trace into other processes.
//
// Spans end before their parents, so it keeps a trace's spans until its
// local root ends, within bounds (ConsoleOptions.MaxTraces, MaxSpans,
// MaxWait). Each trace is written with one Write call. Registered as
// "console", writing to stderr.
func Console(w io.Writer, o ConsoleOptions) *ConsoleExporter {
	if w == nil {
		w = io.Discard
	}
	f, isFile := w.(*os.File)
	tty := isFile && waterfall.IsTerminal(f)
	if o.Width <= 0 && tty {
		o.Width = waterfall.TerminalWidth(f)
	}
	if o.Width <= 0 {
		o.Width, _ = strconv.Atoi(os.Getenv("COLUMNS"))
	}
	o.Width = min(max(cmp.Or(max(o.Width, 0), 80), 40), maxWidth)
	if o.GaugeWidth <= 0 {
		o.GaugeWidth = o.Width * 2 / 5
	}
	o.GaugeWidth = min(o.GaugeWidth, o.Width/2)
	o.MaxTraces = cmp.Or(max(o.MaxTraces, 0), 256)
	o.MaxSpans = cmp.Or(max(o.MaxSpans, 0), 512)
	o.MaxWait = cmp.Or(max(o.MaxWait, 0), 30*time.Second)
	return &ConsoleExporter{
		w:      w,
		o:      o,
		color:  o.Color == ColorAlways || o.Color == ColorAuto && tty,
		traces: map[jstrace.TraceID]*pending{},
		now:    time.Now,
	}
}

// ExportSpans adds spans to their traces, and prints each trace whose
// local root is among them, and those that waited past MaxWait.
func (c *ConsoleExporter) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	dropped := 0
	for _, d := range spans {
		t := c.traces[d.TraceID]
		if t == nil {
			if len(c.traces) >= c.o.MaxTraces {
				c.stats.Dropped++
				dropped++
				continue
			}
			t = &pending{first: now}
			c.traces[d.TraceID] = t
		}
		if len(t.spans) < c.o.MaxSpans {
			t.spans = append(t.spans, d)
		} else {
			t.more++
		}
		if !d.ParentID.IsValid() || d.RemoteParent {
			delete(c.traces, d.TraceID)
			c.stats.Printed++
			c.render(t, false)
		}
	}
	c.expire(now, false)
	if err := c.flush(); err != nil {
		return err
	}
	if dropped > 0 {
		return &DroppedError{Spans: dropped, Reason: "console: MaxTraces traces already waiting for their root"}
	}
	return nil
}

// tick prints the traces that waited past MaxWait while no span came.
func (c *ConsoleExporter) tick(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now, false)
	c.flush()
}

// Shutdown prints the traces still waiting for their root, as partial.
// It does not close the writer.
func (c *ConsoleExporter) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(time.Time{}, true)
	return c.flush()
}

// Stats returns the exporter's counts so far.
func (c *ConsoleExporter) Stats() ConsoleStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// expire renders, as partial, the traces that waited past MaxWait (all of
// them if all).
func (c *ConsoleExporter) expire(now time.Time, all bool) {
	for id, t := range c.traces {
		if all || now.Sub(t.first) >= c.o.MaxWait {
			delete(c.traces, id)
			c.stats.Partial++
			c.render(t, true)
		}
	}
}

// flush writes what was rendered, one trace per Write.
func (c *ConsoleExporter) flush() error {
	var err error
	b, start := c.buf.Bytes(), 0
	for _, end := range c.ends {
		if _, werr := c.w.Write(b[start:end]); werr != nil && err == nil {
			err = werr
		}
		start = end
	}
	c.buf.Reset()
	c.ends = c.ends[:0]
	return err
}

func (c *ConsoleExporter) render(t *pending, partial bool) {
	writeWaterfall(&c.buf, t.spans, t.more, partial, c.o.Width, c.o.GaugeWidth, c.color)
	c.ends = append(c.ends, c.buf.Len())
}
