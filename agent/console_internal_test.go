package agent

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A script that floods its console fills the buffer and the rest of its
// output is dropped and counted, but a fault (the reason it is detached)
// still gets in.
func TestConsoleKeepsRoomForFaults(t *testing.T) {
	c := newConsole(nil)
	c.started = true // never run: nothing is sent
	line := strings.Repeat("x", 1000) + "\n"
	for range 2 * maxConsoleBuffer / len(line) {
		c.print(protocol.ConsoleStdout, line)
	}
	for d := c.droppedBytes(); c.droppedBytes() == d; { // fill the last bytes
		c.print(protocol.ConsoleStdout, "x")
	}
	before := len(c.buf)
	c.print(protocol.ConsoleFault, "script detached: the script printed too much\n")
	if len(c.buf) == before {
		t.Fatal("the fault was dropped")
	}
	m, err := decodeLastConsole(c.buf)
	if err != nil || m.Stream != protocol.ConsoleFault || !strings.Contains(m.Text, "detached") {
		t.Fatalf("last frame %+v, %v", m, err)
	}
	// Faults fill the reserve too (a flood, then long panic values), but
	// the reason for the detach still gets in.
	for d := c.droppedBytes(); c.droppedBytes() == d; {
		c.print(protocol.ConsoleFault, strings.Repeat("p", 1000))
	}
	c.printReason("script detached: 100 panics\n")
	if m, _ := decodeLastConsole(c.buf); m.Text != "script detached: 100 panics\n" {
		t.Fatalf("last frame %+v", m)
	}
}

func decodeLastConsole(b []byte) (protocol.Console, error) {
	var last protocol.Console
	r := protocol.NewFrameReader(strings.NewReader(string(b)))
	for {
		_, p, err := r.ReadFrame()
		if err != nil {
			return last, nil
		}
		if err := last.Decode(p); err != nil {
			return last, err
		}
	}
}

// writeLog records what a console sends, and when.
type writeLog struct {
	mu     sync.Mutex
	writes []time.Time
	text   strings.Builder
	closed bool
}

func (w *writeLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, time.Now())
	w.text.Write(b)
	return len(b), nil
}

func (w *writeLog) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}
func (w *writeLog) SetWriteDeadline(time.Time) error { return nil }

func (w *writeLog) sent() (int, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes), w.text.String()
}

// A script printing ten thousand short lines a second, in ten-line bursts
// each millisecond: the console sends them in a frame per coalesce period
// or so rather than a frame per burst, and a lone line still goes out
// within a few milliseconds.
func TestConsoleCoalesces(t *testing.T) {
	w := &writeLog{}
	c := newConsole(w)
	defer c.close(time.Second)
	line := strings.Repeat("x", 90) + "\n"
	start := time.Now()
	ticks := 0
	for time.Since(start) < time.Second {
		for range 10 {
			c.print(protocol.ConsoleStdout, line)
		}
		ticks++
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	time.Sleep(50 * time.Millisecond)
	n, _ := w.sent()
	t.Logf("%d prints in %v: %d writes", 10*ticks, elapsed.Round(time.Millisecond), n)
	if most := int(elapsed/coalesce) + 10; n > most {
		t.Fatalf("%d writes for %d prints in %v, want at most %d", n, 10*ticks, elapsed, most)
	}
	// A lone line after a quiet spell.
	at := time.Now()
	c.print(protocol.ConsoleStdout, "lone\n")
	for {
		if _, text := w.sent(); strings.HasSuffix(text, "lone\n") {
			break
		}
		if time.Since(at) > time.Second {
			t.Fatal("a lone line not sent within a second")
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("a lone line sent after %v", time.Since(at))
}

// A console whose script prints nothing has no goroutine (a stack for
// every collection to scan); closed, it closes its stream all the same.
// One that prints starts its goroutine once.
func TestConsoleStartsWithOutput(t *testing.T) {
	w := &writeLog{}
	c := newConsole(w)
	if c.started {
		t.Fatal("started before any output")
	}
	c.close(time.Second)
	if !w.closed {
		t.Fatal("stream not closed")
	}

	w = &writeLog{}
	c = newConsole(w)
	c.print(protocol.ConsoleStdout, "a\n")
	c.print(protocol.ConsoleStdout, "b\n") // no second goroutine: it would close done twice
	c.close(time.Second)
	if _, text := w.sent(); !w.closed || !strings.Contains(text, "a\n") || !strings.Contains(text, "b\n") {
		t.Fatalf("closed %v, sent %q", w.closed, text)
	}
}

// What is queued when the console closes is sent at once, not after the
// coalesce period, and nothing queued is lost.
func TestConsoleCloseSendsAtOnce(t *testing.T) {
	w := &writeLog{}
	c := newConsole(w)
	want := 0
	for i := range 1000 {
		line := strings.Repeat("y", i%50) + "\n"
		c.print(protocol.ConsoleStdout, line)
		want += len(line)
	}
	c.printReason("script detached: done\n")
	c.close(time.Second)
	_, text := w.sent()
	got := 0
	r := protocol.NewFrameReader(strings.NewReader(text))
	var last protocol.Console
	for {
		_, p, err := r.ReadFrame()
		if err != nil {
			break
		}
		if err := last.Decode(p); err != nil {
			t.Fatal(err)
		}
		if last.Stream == protocol.ConsoleStdout {
			got += len(last.Text)
		}
	}
	if got != want || last.Text != "script detached: done\n" {
		t.Fatalf("%d bytes of %d sent, last %+v", got, want, last)
	}
}
