package e2e

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// fakeAgent is a malicious agent written for the tests: it speaks the real
// protocol (preamble, Hello/Welcome, yamux, the three streams, Attach) and
// then does what act says with the session.
type fakeAgent struct {
	t       *testing.T
	ln      net.Listener
	welcome protocol.Welcome
	act     func(s *fakeSession)
	conns   atomic.Int32 // sessions that reached act
	wg      sync.WaitGroup
	done    chan struct{} // closed when the test ends
}

// fakeSession is one CLI connection to a fakeAgent, attached.
type fakeSession struct {
	f                    *fakeAgent
	raw                  net.Conn
	hc                   *hijackConn
	sess                 *yamux.Session
	ctl, events, console *yamux.Stream
	attach               protocol.Attach
}

func startFakeAgent(t *testing.T, w protocol.Welcome, act func(s *fakeSession)) *fakeAgent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.Addr = ln.Addr().String()
	w.Agent = "v9.9.9"
	if w.PID == 0 {
		w.PID = 4242
	}
	f := &fakeAgent{t: t, ln: ln, welcome: w, act: act, done: make(chan struct{})}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); close(f.done); f.wg.Wait() })
	return f
}

func (f *fakeAgent) addr() string { return f.ln.Addr().String() }

func (f *fakeAgent) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := protocol.ReadPreamble(c); err != nil {
		return
	}
	protocol.WritePreamble(c)
	if _, _, err := protocol.ReadFrameExact(c, 1<<16); err != nil {
		return
	}
	if protocol.WriteFrame(c, protocol.FrameWelcome, f.welcome.Append(nil)) != nil {
		return
	}
	hc := &hijackConn{Conn: c}
	conf := yamux.DefaultConfig()
	conf.EnableKeepAlive = false
	conf.LogOutput = io.Discard
	sess, err := yamux.Server(hc, conf)
	if err != nil {
		return
	}
	defer sess.Close()
	s := &fakeSession{f: f, raw: c, hc: hc, sess: sess}
	for _, st := range []**yamux.Stream{&s.ctl, &s.events, &s.console} {
		if *st, err = sess.AcceptStream(); err != nil {
			return // jstrace ls
		}
		var kind [1]byte
		if _, err := io.ReadFull(*st, kind[:]); err != nil {
			return
		}
	}
	_, p, err := protocol.NewFrameReader(s.ctl).ReadFrame()
	if err != nil || s.attach.Decode(p) != nil {
		return
	}
	c.SetDeadline(time.Time{})
	f.conns.Add(1)
	f.act(s)
}

// hold keeps the session open, saying nothing, until the CLI closes it or
// the test ends.
func (s *fakeSession) hold() {
	select {
	case <-s.sess.CloseChan():
	case <-s.f.done:
	}
}

// attached answers the Attach.
func (s *fakeSession) attached() {
	protocol.NewFrameWriter(s.ctl).Send(protocol.FrameAttached, &protocol.Attached{})
}

// print sends console output.
func (s *fakeSession) print(stream protocol.ConsoleStream, text string) error {
	return protocol.NewFrameWriter(s.console).Send(protocol.FrameConsole, &protocol.Console{Stream: stream, Text: text})
}

// emit sends one Events frame of records emitted under the given names.
func (s *fakeSession) emit(names []string) error {
	var batch []byte
	for _, n := range names {
		rec := []byte{byte(protocol.RecordEmit)}
		rec = binary.AppendUvarint(rec, uint64(len(n)))
		rec = append(rec, n...)
		rec = binary.LittleEndian.AppendUint64(rec, uint64(time.Now().UnixNano()))
		batch = binary.AppendUvarint(batch, uint64(len(rec)))
		batch = append(batch, rec...)
	}
	return protocol.WriteFrame(s.events, protocol.FrameEvents, batch)
}

// hijack stops the fake's yamux session without a word to the CLI and
// hands over the raw connection, whose multiplexer state the CLI still
// holds: what is written next is read by the CLI's yamux as frames.
func (s *fakeSession) hijack() net.Conn {
	time.Sleep(200 * time.Millisecond) // let the last writes go out
	s.hc.hijacked.Store(true)
	s.raw.SetReadDeadline(time.Now()) // wakes yamux's reader, which ends the session
	<-s.sess.CloseChan()
	return s.raw
}

// flood writes frames to c as fast as it takes them, until it fails or
// d has passed; it never reads. It returns the frames written.
func flood(c net.Conn, d time.Duration, frame func(i uint32) []byte) int {
	deadline := time.Now().Add(d)
	var buf []byte
	n := 0
	for i := uint32(0); time.Now().Before(deadline); {
		buf = buf[:0]
		for range 1024 {
			buf = append(buf, frame(i)...)
			i++
		}
		c.SetWriteDeadline(deadline)
		if _, err := c.Write(buf); err != nil {
			break
		}
		n += 1024
	}
	return n
}

// yamuxHeader encodes a yamux frame header (version 0).
func yamuxHeader(typ byte, flags uint16, id, length uint32) []byte {
	h := make([]byte, 12)
	h[1] = typ
	binary.BigEndian.PutUint16(h[2:], flags)
	binary.BigEndian.PutUint32(h[4:], id)
	binary.BigEndian.PutUint32(h[8:], length)
	return h
}

// hijackConn lets hijack take a connection away from yamux: once
// hijacked, Read fails and Close leaves the connection open.
type hijackConn struct {
	net.Conn
	hijacked atomic.Bool
}

func (c *hijackConn) Read(b []byte) (int, error) {
	if c.hijacked.Load() {
		return 0, io.ErrClosedPipe
	}
	return c.Conn.Read(b)
}

func (c *hijackConn) Close() error {
	if c.hijacked.Load() {
		return nil
	}
	return c.Conn.Close()
}

// rssMiB reads a process's resident set size.
func rssMiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	return 0
}

// watchRSS samples a process's RSS until stop is closed and returns the
// peak; past limit MiB it kills the process (a test that cannot fail
// gently must not take the machine down).
func watchRSS(pid, limit int, kill func(), stop <-chan struct{}) <-chan int {
	peak := make(chan int, 1)
	go func() {
		top := 0
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- max(top, rssMiB(pid))
				return
			case <-tick.C:
				if r := rssMiB(pid); r > top {
					top = r
					if r > limit {
						kill()
					}
				}
			}
		}
	}()
	return peak
}
