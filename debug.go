package jstrace

import (
	"container/list"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Debug prints the events of the probes whose names match pattern (see
// [On] for patterns) to w, one line each, until stop is called:
//
//	req-7f3a http:request:start +0ms method=GET path=/users/42
//	req-7f3a db:query:start +0.210ms statement="SELECT name FROM users WHERE id = ?"
//	req-7f3a db:query:end +1.30ms duration=1.289ms rows=1
//	- app:cache:miss +0ms key=users
//
// Each line holds the event's request ID ("-" for events without one), its
// name, the time since that request's previous event, and its fields as
// k=v, quoted and escaped when they are not plain printable ASCII. When w
// is a terminal (a character device) and neither NO_COLOR is set nor TERM
// is "dumb", each request ID has a colour of its own. The last events of
// up to 1,024 request IDs are remembered; a request forgotten since starts
// again at +0ms.
//
// Setting the environment variable JSTRACE_DEBUG to a pattern does the
// same to standard error from the start of the program: it is read once,
// when the package is initialised.
//
// Lines are formatted on the probe's goroutine and written by a goroutine
// of Debug's own, so a probe never waits for w: lines that find 64 KiB
// pending are dropped, and a line saying how many is written in their
// place once w catches up. stop unsubscribes, writes what is pending and
// returns; it waits at most a second for w, and may be called any number
// of times. Lines still pending when the program exits without calling
// stop (a few milliseconds' worth at most, unless w is slow) are lost. Debug is meant for development: while it runs, matching
// probes are enabled and each event costs its formatting.
func Debug(w io.Writer, pattern string) (stop func(), err error) {
	return startDebug(w, pattern, debugConfig{color: colorful(w)})
}

// Limits of debug output.
const (
	debugMaxRequests = 1024     // request IDs whose last event is remembered
	debugMaxPending  = 64 << 10 // bytes of lines waiting for the writer
	debugMaxLine     = 8 << 10  // bytes of one line, cut beyond
	debugStopWait    = time.Second
)

// debugConfig is what tests set: colours, a clock instead of the events'
// times, and how long stop waits (debugStopWait if 0).
type debugConfig struct {
	color    bool
	clock    func() int64
	stopWait time.Duration
}

// A debugOut is one Debug: a subscriber formatting lines, and a goroutine
// writing them.
type debugOut struct {
	debugConfig
	w io.Writer

	mu      sync.Mutex
	reqs    map[string]*list.Element // of *debugReq, in last
	last    list.List                // most recent first
	pending []byte                   // capacity debugMaxPending
	dropped uint64                   // lines dropped since the last notice

	kick, quit, exited chan struct{}
	unsubscribe        func()
	once               sync.Once
}

type debugReq struct {
	id   string
	last int64 // Unix nanoseconds of its last event
}

func startDebug(w io.Writer, pattern string, cfg debugConfig) (func(), error) {
	d := &debugOut{
		debugConfig: cfg,
		w:           w,
		reqs:        make(map[string]*list.Element),
		pending:     make([]byte, 0, debugMaxPending),
		kick:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
		exited:      make(chan struct{}),
	}
	unsubscribe, err := On(pattern, d.event)
	if err != nil {
		return nil, err
	}
	d.unsubscribe = unsubscribe
	go d.run()
	return d.stop, nil
}

// event formats one line and queues it for the writer. The event's
// methods run outside mu: they may call the program's String methods and
// Context.Value, which may fire probes, and so this function again.
func (d *debugOut) event(e Event) {
	var ts int64
	if d.clock != nil {
		ts = d.clock()
	} else if e.d != nil {
		ts = e.d.when()
	}
	id, name, rec := e.RequestID(), e.Name(), e.Record()
	d.mu.Lock()
	delta := d.since(id, ts)
	d.mu.Unlock()
	var scratch [512]byte
	line := d.format(scratch[:0], name, rec, id, delta)
	d.mu.Lock()
	if len(d.pending)+len(line) <= cap(d.pending) {
		d.pending = append(d.pending, line...)
	} else {
		d.dropped++
	}
	d.mu.Unlock()
	signal(d.kick)
}

// since returns the time since id's previous event and remembers ts as
// its last; the caller holds mu.
func (d *debugOut) since(id string, ts int64) time.Duration {
	if el, ok := d.reqs[id]; ok {
		r := el.Value.(*debugReq)
		prev := r.last
		r.last = max(ts, prev) // events of other goroutines may come late
		d.last.MoveToFront(el)
		return time.Duration(max(ts-prev, 0))
	}
	if d.last.Len() >= debugMaxRequests {
		delete(d.reqs, d.last.Remove(d.last.Back()).(*debugReq).id)
	}
	d.reqs[id] = d.last.PushFront(&debugReq{id: id, last: ts})
	return 0
}

// debugColors are the ANSI colours of request IDs: not black, white or
// red (errors), so that they read on dark and light terminals.
var debugColors = [...]string{"\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[96m", "\x1b[92m", "\x1b[94m"}

// format appends the line of an event, from its record.
func (d *debugOut) format(b []byte, name string, rec []byte, id string, delta time.Duration) []byte {
	color := ""
	if d.color && id != "" {
		h := fnv.New32a()
		h.Write([]byte(id))
		color = debugColors[h.Sum32()%uint32(len(debugColors))]
	}
	b = append(b, color...)
	if id == "" {
		b = append(b, '-')
	} else {
		b = appendText(b, []byte(id))
	}
	if color != "" {
		b = append(b, "\x1b[0m"...)
	}
	b = appendText(append(b, ' '), []byte(name))
	b = append(append(b, ' '), color...)
	b = appendDelta(b, delta)
	if color != "" {
		b = append(b, "\x1b[0m"...)
	}
	if f, ok := recordFields(rec); ok {
		b = appendFieldsText(b, f, id != "", !strings.HasPrefix(name, "span:"))
	} else {
		b = append(b, " !TOOLARGE"...) // over MaxRecordSize: sessions drop it too
	}
	if len(b) > debugMaxLine {
		cut := debugMaxLine - len("…")
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = append(b[:cut], "…"...)
	}
	return append(b, '\n')
}

// appendDelta appends "+Nms" with three significant digits: +0.250ms,
// +2.80ms, +12.5ms, +150ms (and +0ms).
func appendDelta(b []byte, d time.Duration) []byte {
	ms := float64(d) / float64(time.Millisecond)
	prec := 0
	switch {
	case ms == 0:
	case ms < 1:
		prec = 3
	case ms < 10:
		prec = 2
	case ms < 100:
		prec = 1
	}
	b = strconv.AppendFloat(append(b, '+'), ms, 'f', prec, 64)
	return append(b, "ms"...)
}

// run writes the pending lines whenever there are some, until quit.
func (d *debugOut) run() {
	defer close(d.exited)
	spare := make([]byte, 0, debugMaxPending)
	var failed bool
	for {
		select {
		case <-d.kick:
		case <-d.quit:
			d.flush(&spare, &failed)
			return
		}
		d.flush(&spare, &failed)
	}
}

// flush writes the pending lines, after a notice of the dropped ones.
func (d *debugOut) flush(spare *[]byte, failed *bool) {
	d.mu.Lock()
	out, n := d.pending, d.dropped
	d.pending, d.dropped = (*spare)[:0], 0
	d.mu.Unlock()
	*spare = out
	if n > 0 {
		d.write(fmt.Appendf(nil, "jstrace: %d debug lines dropped: the output is slower than the events\n", n), failed)
	}
	if len(out) > 0 {
		d.write(out, failed)
	}
}

// write writes to w, reporting its first failure (an error or a panic)
// through slog; the goroutine keeps going.
func (d *debugOut) write(p []byte, failed *bool) {
	defer func() {
		if v := recover(); v != nil && !*failed {
			*failed = true
			slog.Default().Error("jstrace: debug output panicked", "panic", v)
		}
	}()
	if _, err := d.w.Write(p); err != nil && !*failed {
		*failed = true
		slog.Default().Error("jstrace: debug output failed", "err", err)
	}
}

// stop unsubscribes, then lets the writer write what is pending, waiting
// for it at most debugStopWait.
func (d *debugOut) stop() {
	d.once.Do(func() {
		d.unsubscribe()
		close(d.quit)
		wait := d.stopWait
		if wait == 0 {
			wait = debugStopWait
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-d.exited:
		case <-t.C:
		}
	})
}

// colorful reports whether debug output to w gets colours.
func colorful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// envDebug is the Debug of JSTRACE_DEBUG, if set.
var envDebug func()

func init() {
	pattern := os.Getenv("JSTRACE_DEBUG")
	if pattern == "" {
		return
	}
	stop, err := Debug(os.Stderr, pattern)
	if err != nil {
		slog.Default().Error("jstrace: JSTRACE_DEBUG ignored", "err", err)
		return
	}
	envDebug = stop
}
