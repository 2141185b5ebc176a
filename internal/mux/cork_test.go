package mux

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace/internal/nettest"
)

// A session's set-up, as the CLI and the agent make it, corked on both
// sides: the CLI's opens, kinds and Attach are one write, the agent's
// three acknowledgements another, and every byte arrives.
func TestCorkedSetUp(t *testing.T) {
	for _, size := range []int{100, 40 << 10, 600 << 10} { // within a cork; past corkMax; past a stream's window
		cc, sc := nettest.TCPPair(t)
		cw, sw := &nettest.CountingConn{Conn: cc}, &nettest.CountingConn{Conn: sc}
		log := slog.New(slog.DiscardHandler)
		cli, err := Client(cw, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		srv, err := Server(sw, log)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		attach := bytes.Repeat([]byte("a"), size)

		got := make(chan error, 1)
		go func() {
			srv.Cork()
			defer srv.Uncork()
			for kind := range byte(Streams) {
				st, err := Accept(srv, 5*time.Second)
				if err != nil {
					got <- err
					return
				}
				want := []byte{kind}
				if kind == 0 {
					want = append(want, attach...)
				}
				b := make([]byte, len(want))
				if _, err := io.ReadFull(st, b); err != nil || !bytes.Equal(b, want) {
					got <- err
					return
				}
			}
			got <- srv.Uncork()
		}()

		cli.Cork()
		for kind := range byte(Streams) {
			st, err := cli.OpenStream()
			if err != nil {
				t.Fatal(err)
			}
			b := []byte{kind}
			if kind == 0 {
				b = append(b, attach...)
			}
			if _, err := st.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := cli.Uncork(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("%d bytes: the agent's side: %v", size, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d bytes: the set-up did not complete", size)
		}
		if size <= corkMax/2 {
			if n := cw.Writes(); n != 1 {
				t.Errorf("%d bytes: the CLI's side made %d writes, want 1", size, n)
			}
			if n := sw.Writes(); n != 1 {
				t.Errorf("%d bytes: the agent's side made %d writes, want 1", size, n)
			}
		}
	}
}

// The frames a peer may wait on end a cork, sent with what it held; the
// writes after them go out as they come.
func TestCorkEndsOnAwaitedFrames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame []byte
	}{
		{"ping", header(typePing, flagSYN, 0, 1)},
		{"ping answer", header(typePing, flagACK, 0, 1)},
		{"go away", header(typeGoAway, 0, 0, 0)},
		{"window credit", header(typeWindowUpdate, 0, 1, 1<<16)},
		{"past corkMax", make([]byte, corkMax)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			g := newGuard(r, 0)
			s := &Session{g: g}
			s.Cork()
			defer s.Uncork()
			held := [][]byte{
				header(typeWindowUpdate, flagSYN, 1, 0), // an open
				header(typeWindowUpdate, flagACK, 2, 0), // an acknowledgement
				header(typeData, 0, 1, 1), {7},          // data
			}
			for _, w := range held {
				g.Write(w)
			}
			if len(r.writes) != 0 {
				t.Fatalf("%d writes while corked", len(r.writes))
			}
			g.Write(tt.frame)
			want := append(bytes.Join(held, nil), tt.frame...)
			if len(r.writes) != 1 || !bytes.Equal(r.writes[0], want) {
				t.Fatalf("%d writes, want one of what the cork held and the frame", len(r.writes))
			}
			g.Write(header(typeWindowUpdate, flagSYN, 3, 0))
			if len(r.writes) != 2 {
				t.Fatalf("%d writes: the cork did not end", len(r.writes))
			}
		})
	}
}

// A cork nobody ends sends what it holds after corkHold.
func TestCorkHoldIsBounded(t *testing.T) {
	cc, sc := nettest.TCPPair(t)
	g := newGuard(cc, 0)
	s := &Session{g: g}
	s.Cork()
	g.Write(header(typeWindowUpdate, flagSYN, 1, 0))
	sc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, headerSize)
	if _, err := io.ReadFull(sc, b); err != nil {
		t.Fatalf("what the cork held never came: %v", err)
	}
	// The cork ends just after its write returns (it stays on until its
	// bytes are out), which may be after the peer has read them.
	for deadline := time.Now().Add(5 * time.Second); g.c.on.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("still corked after sending")
		}
		time.Sleep(time.Millisecond)
	}
}

// A data frame's header written before the cork, its payload during it:
// they go out together, in order, at Uncork.
func TestCorkAfterAHeldHeader(t *testing.T) {
	r := &recorder{}
	g := newGuard(r, 0)
	s := &Session{g: g}
	hdr := header(typeData, 0, 1, 3)
	g.Write(hdr) // held by write.go, for its payload
	s.Cork()
	g.Write([]byte("abc"))
	if len(r.writes) != 0 {
		t.Fatalf("%d writes while corked", len(r.writes))
	}
	if err := s.Uncork(); err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(hdr), "abc"...); len(r.writes) != 1 || !bytes.Equal(r.writes[0], want) {
		t.Fatalf("writes %x, want one of %x", r.writes, want)
	}
}

// gateConn stands for a connection whose writer is preempted: once armed,
// its next SetWriteDeadline waits for release. It records the writes.
type gateConn struct {
	net.Conn
	mu      sync.Mutex
	writes  [][]byte
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (c *gateConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(b))
	c.mu.Unlock()
	return len(b), nil
}

func (c *gateConn) SetWriteDeadline(time.Time) error {
	c.mu.Lock()
	armed := c.armed
	c.armed = false
	c.mu.Unlock()
	if armed {
		close(c.entered)
		<-c.release
	}
	return nil
}

// A cork ended from another goroutine (Uncork, the hold's timer) while
// yamux's sending goroutine writes its next frame: the frame goes after
// what the cork held, never before (a review found it could: a stream's
// data before its open, which yamux drops).
func TestUncorkKeepsOrder(t *testing.T) {
	c := &gateConn{entered: make(chan struct{}), release: make(chan struct{})}
	g := newGuard(c, 0)
	s := &Session{g: g}
	s.Cork()
	first := header(typeWindowUpdate, flagSYN, 1, 0)
	g.Write(first)
	c.mu.Lock()
	c.armed = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { s.Uncork(); close(done) }()
	<-c.entered // Uncork is about to write what the cork held
	second := header(typePing, flagSYN, 0, 1)
	sent := make(chan struct{})
	go func() { g.Write(second); close(sent) }()
	time.Sleep(50 * time.Millisecond) // time for the frame to overtake, if it can
	close(c.release)
	<-done
	<-sent
	if got, want := bytes.Join(c.writes, nil), append(bytes.Clone(first), second...); !bytes.Equal(got, want) {
		t.Fatalf("bytes reordered on the wire:\n got %x\nwant %x", got, want)
	}
}

// A corked acknowledgement carries the credit past a stream's first 256
// KiB: a peer that sends more than that gets it once it has sent corkMax,
// not when the hold ends (here an hour; a review found a 600 KiB Attach
// waited for the hold).
func TestCorkReleasesCredit(t *testing.T) {
	cc, sc := nettest.TCPPair(t)
	// No keepalive, whose ping and answer would end the cork in 5 s.
	conf := config(slog.New(slog.DiscardHandler))
	conf.EnableKeepAlive = false
	cs, err := yamux.Client(cc, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	cli := &Session{Session: cs}
	sg := newGuard(sc, Streams)
	ss, err := yamux.Server(sg, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	srv := &Session{ss, sg}
	srv.g.c.hold = time.Hour
	const size = 600 << 10
	got := make(chan error, 1)
	go func() {
		srv.Cork()
		defer srv.Uncork()
		st, err := Accept(srv, 5*time.Second)
		if err == nil {
			_, err = io.ReadFull(st, make([]byte, size))
		}
		got <- err
	}()
	st, err := cli.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	go st.Write(make([]byte, size))
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sender waited for credit the cork held")
	}
}
