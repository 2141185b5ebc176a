package mux

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// recorder is a connection that keeps each write apart.
type recorder struct {
	net.Conn // nil: only Write and SetWriteDeadline are called
	writes   [][]byte
	limits   int // SetWriteDeadline calls
}

func (r *recorder) Write(b []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(b))
	return len(b), nil
}

func (r *recorder) SetWriteDeadline(time.Time) error { r.limits++; return nil }

func (r *recorder) sent() []byte { return bytes.Join(r.writes, nil) }

// A data frame's header and a small payload go out in one write; other
// frames, and large payloads, as yamux writes them; the bytes are the same.
func TestWriteCoalescesSmallDataFrames(t *testing.T) {
	big := bytes.Repeat([]byte("b"), coalesceMax+1)
	writes := [][]byte{
		header(typeWindowUpdate, flagSYN, 1, 0), // a stream opens: alone
		header(typeData, 0, 1, 1), {0x01},       // its kind: one write
		header(typeData, 0, 1, 5), []byte("hello"), // one write
		header(typeData, 0, 3, uint32(len(big))), big, // two writes
		header(typePing, flagSYN, 0, 7),                // alone
		header(typeData, 0, 1, 3), []byte("not three"), // not its payload: two writes
		header(typeData, 0, 1, 0), // an empty data frame: alone
	}
	r := &recorder{}
	g := newGuard(r, 0)
	for _, w := range writes {
		if n, err := g.Write(w); n != len(w) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(w), n, err)
		}
	}
	if got, want := r.sent(), bytes.Join(writes, nil); !bytes.Equal(got, want) {
		t.Fatalf("sent %d bytes, not the %d written", len(got), len(want))
	}
	lens := make([]int, len(r.writes))
	for i, w := range r.writes {
		lens[i] = len(w)
	}
	want := []int{12, 13, 17, 12, len(big), 12, 12, 9, 12}
	if !equalInts(lens, want) {
		t.Fatalf("writes of %v bytes, want %v", lens, want)
	}
	if r.limits != 1 {
		t.Fatalf("the write deadline was set %d times in a burst of writes, want once", r.limits)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The deadline moves once a tenth of the timeout has passed.
func TestWriteDeadlineMoves(t *testing.T) {
	r := &recorder{}
	g := newGuard(r, 0)
	g.writeTimeout = 100 * time.Millisecond
	g.Write([]byte("x"))
	g.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond)
	g.Write([]byte("x"))
	if r.limits != 2 {
		t.Fatalf("deadline set %d times, want 2", r.limits)
	}
}

// FuzzWriteKeepsBytes: whatever sequence of writes yamux makes (headers of
// any type and length, payloads of any size), the bytes sent are the bytes
// written, in order, corked or not, but for a data frame's header still waiting for its
// payload.
func FuzzWriteKeepsBytes(f *testing.F) {
	f.Add([]byte{0, 5, 1, 0, 0, 2, 2, 0})
	f.Add([]byte{0, 3, 3, 1, 9, 0, 1})
	f.Add([]byte{3, 0, 0, 16, 0, 5, 1, 2, 2, 0, 4, 0, 0, 5})
	f.Fuzz(func(t *testing.T, plan []byte) {
		r := &recorder{}
		g := newGuard(r, 0)
		s := &Session{g: g}
		defer s.Uncork()
		var all []byte
		for i := 0; i+1 < len(plan); i += 2 {
			var w []byte
			switch n := int(plan[i+1]); plan[i] % 5 {
			case 0: // a header: data frames' lengths near the payloads below
				w = header(plan[i+1]%4, uint16(n>>4)%4, 1, uint32(n%8))
			case 1: // a payload
				w = bytes.Repeat([]byte{plan[i]}, n%8)
			case 2: // a payload too large to copy
				w = make([]byte, coalesceMax+n)
			case 3:
				s.Cork()
			default:
				s.Uncork()
			}
			if len(w) == 0 {
				continue
			}
			if n, err := g.Write(w); n != len(w) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			all = append(all, w...)
		}
		s.Uncork()
		got := r.sent()
		if g.w.held {
			got = append(got, g.w.hdr[:]...)
		}
		if !bytes.Equal(got, all) {
			t.Fatalf("sent %x, written %x", got, all)
		}
	})
}
