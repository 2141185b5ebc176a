package agent

import (
	"math"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// maxConsoleBuffer bounds console output waiting to be sent; what does not
// fit is dropped and counted.
const maxConsoleBuffer = 256 << 10

// faultReserve is room beyond maxConsoleBuffer kept for faults, so that
// they reach the CLI even when the script's own output flooded the buffer
// (it is bounded: a script is detached after a hundred panics); the reason
// a script was detached always gets in (printReason).
const faultReserve = 16 << 10

// The console sends prints together rather than a frame each: it lets
// them gather for at most coalesce after the first, or until flushSize
// bytes are queued, so that a script printing ten thousand lines a second
// costs the CLI at most a frame per coalesce (see the frame budget in
// internal/mux) and its output is late by coalesce at most. Closing the
// console sends what is queued at once.
const (
	coalesce  = 5 * time.Millisecond
	flushSize = 64 << 10
)

// console queues a session's console output and sends it on the console
// stream from its own goroutine, so a script printing never waits for the
// network. The goroutine (run) starts with the first output, or at close:
// most scripts print nothing, and a parked goroutine is a stack that every
// collection of the service scans. print, printReason and droppedBytes
// are safe for concurrent use; close may be called from any goroutine,
// more than once.
type console struct {
	st consoleStream

	mu      sync.Mutex
	buf     []byte // encoded Console frames
	dropped uint64 // bytes of text dropped
	closed  bool
	started bool // run was started

	ready chan struct{} // the buffer is no longer empty
	full  chan struct{} // the buffer passed flushSize
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// consoleStream is where a console sends: a *yamux.Stream.
type consoleStream interface {
	Write([]byte) (int, error)
	Close() error
	SetWriteDeadline(time.Time) error
}

func newConsole(st consoleStream) *console {
	return &console{
		st:    st,
		ready: make(chan struct{}, 1),
		full:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

func (c *console) print(stream protocol.ConsoleStream, text string) {
	limit := maxConsoleBuffer
	if stream == protocol.ConsoleFault {
		limit += faultReserve
	}
	c.add(stream, text, limit)
}

// printReason queues why the script was detached, whatever the buffer
// holds: the session calls it once.
func (c *console) printReason(text string) {
	c.add(protocol.ConsoleFault, text, math.MaxInt)
}

func (c *console) add(stream protocol.ConsoleStream, text string, limit int) {
	m := protocol.Console{Stream: stream, Text: text}
	c.mu.Lock()
	if c.closed || len(c.buf)+len(text)+16 > limit {
		c.dropped += uint64(len(text))
		c.mu.Unlock()
		return
	}
	before := len(c.buf)
	frame := m.Append(nil)
	c.buf = protocol.AppendFrame(c.buf, protocol.FrameConsole, frame)
	after := len(c.buf)
	start := !c.started
	c.started = true
	c.mu.Unlock()
	if start {
		go c.run()
	}
	if before == 0 {
		signal(c.ready)
	}
	if before < flushSize && after >= flushSize {
		signal(c.full)
	}
}

// signal wakes the receiver of ch, a channel of capacity 1, unless it is
// already due to wake.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (c *console) droppedBytes() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

func (c *console) run() {
	defer close(c.done)
	var out []byte
	broken := false
	send := func() {
		c.mu.Lock()
		out, c.buf = c.buf, out[:0]
		c.mu.Unlock()
		if len(out) > 0 && !broken {
			if _, err := c.st.Write(out); err != nil {
				broken = true
			}
		}
	}
	for {
		select {
		case <-c.ready:
			c.gather()
			send()
		case <-c.quit:
			send()
			c.st.Close()
			return
		}
	}
}

// gather waits for prints to accumulate: for coalesce, until flushSize
// bytes are queued, or until the console is closed.
func (c *console) gather() {
	t := time.NewTimer(coalesce)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.full:
	case <-c.quit:
	}
}

// close sends what is queued, within timeout, and closes the stream. Later
// output is dropped and counted. close is idempotent.
func (c *console) close(timeout time.Duration) {
	c.once.Do(func() {
		c.st.SetWriteDeadline(time.Now().Add(timeout))
		c.mu.Lock()
		c.closed = true
		start := !c.started
		c.started = true
		c.mu.Unlock()
		close(c.quit)
		if start {
			go c.run() // closes the stream
		}
	})
	<-c.done
}
