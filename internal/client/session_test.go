package client

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// warnings is a WarningHandler that passes on the Warnings it receives.
type warnings struct{ got chan protocol.Warning }

func (w *warnings) Events(*Conn, []byte)                {}
func (w *warnings) Console(*Conn, protocol.Console)     {}
func (w *warnings) Stats(*Conn, protocol.Stats)         {}
func (w *warnings) Warning(_ *Conn, m protocol.Warning) { w.got <- m }

// An agent that sends a Warning in the same write as Attached: the frame
// that came with the answer must not be lost with the reader that read
// the answer.
func TestWarningWithAttached(t *testing.T) {
	h := &warnings{got: make(chan protocol.Warning, 1)}
	c, served := attachToFake(t, h)
	select {
	case w := <-h.got:
		if w.Pattern != "nosuch:*" {
			t.Fatalf("warning %+v", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Warning sent with Attached was lost")
	}
	c.Close()
	<-served
}

// attachToFake attaches h to a fakeAgent, whose end is served.
func attachToFake(t *testing.T, h Handler) (c *Conn, served <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		fakeAgent(t, ln)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err = Dial(ctx, ln.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Attach(&protocol.Attach{Name: "s.go", Source: "package main"}, h); err != nil {
		t.Fatal(err)
	}
	return c, done
}

// fakeAgent answers one connection as an agent would, up to Attached,
// which it sends with a Warning in one write; then it waits for the end of
// the connection.
func fakeAgent(t *testing.T, ln net.Listener) {
	nc, err := ln.Accept()
	if err != nil {
		t.Error(err)
		return
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := protocol.ReadPreamble(nc); err != nil {
		t.Error(err)
		return
	}
	protocol.WritePreamble(nc)
	if _, _, err := protocol.ReadFrameExact(nc, protocol.MaxFrameSize); err != nil {
		t.Error(err)
		return
	}
	welcome := protocol.Welcome{PID: 1, Title: "fake", Hostname: "h"}
	protocol.WriteFrame(nc, protocol.FrameWelcome, welcome.Append(nil))
	sess, err := mux.Server(nc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Error(err)
		return
	}
	defer sess.Close()
	ctl, err := mux.Accept(sess, 5*time.Second)
	if err != nil {
		t.Error(err)
		return
	}
	for range 2 { // events, console
		if _, err := mux.Accept(sess, 5*time.Second); err != nil {
			t.Error(err)
			return
		}
	}
	var kind [1]byte
	if _, err := io.ReadFull(ctl, kind[:]); err != nil {
		t.Error(err)
		return
	}
	if _, _, err := protocol.NewFrameReader(ctl).ReadFrame(); err != nil { // Attach
		t.Error(err)
		return
	}
	var attached protocol.Attached
	warning := protocol.Warning{Kind: protocol.WarnNoProbe, Pattern: "nosuch:*"}
	both := protocol.AppendFrame(nil, protocol.FrameAttached, attached.Append(nil))
	both = protocol.AppendFrame(both, protocol.FrameWarning, warning.Append(nil))
	// A failed write is not reported here: the client, having read both
	// frames, may close the session before yamux tells this Write its
	// data went out (it then returns "session shutdown"); a write that
	// really failed fails the test through the Warning the client lacks.
	if _, err := ctl.Write(both); err != nil {
		return
	}
	<-sess.CloseChan() // until the client closes
}

// OnEnd's function runs once the session has ended, once; one given after
// the end runs at once.
func TestOnEnd(t *testing.T) {
	c, served := attachToFake(t, &warnings{got: make(chan protocol.Warning, 1)})
	ended := make(chan struct{}, 2)
	c.OnEnd(func() {
		select {
		case <-c.Done():
		default:
			t.Error("OnEnd's function ran before Done was closed")
		}
		ended <- struct{}{}
	})
	select {
	case <-ended:
		t.Fatal("OnEnd's function ran while the session was on")
	case <-time.After(100 * time.Millisecond):
	}
	c.Close()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("OnEnd's function did not run when the session ended")
	}
	now := false
	c.OnEnd(func() { now = true })
	if !now {
		t.Fatal("OnEnd after the end did not run its function at once")
	}
	<-served
	if len(ended) != 0 {
		t.Fatal("OnEnd's function ran twice")
	}
}

// OnEnd given while the last reader ends: its function sees Done closed
// whichever goroutine runs it (a review found it could run between the two).
func TestOnEndRacingTheEnd(t *testing.T) {
	early := 0
	for range 5000 {
		c := &Conn{done: make(chan struct{})}
		c.readers.Store(1)
		go c.readerDone()
		ran := make(chan bool, 1)
		c.OnEnd(func() {
			select {
			case <-c.Done():
				ran <- true
			default:
				ran <- false
			}
		})
		if !<-ran {
			early++
		}
	}
	if early > 0 {
		t.Fatalf("%d of 5000: OnEnd's function ran before Done was closed", early)
	}
}
