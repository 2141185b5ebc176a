package mux

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"testing"
	"time"
)

// header encodes a yamux frame header.
func header(typ byte, flags uint16, id, length uint32) []byte {
	h := make([]byte, headerSize)
	h[1] = typ
	binary.BigEndian.PutUint16(h[2:], flags)
	binary.BigEndian.PutUint32(h[4:], id)
	binary.BigEndian.PutUint32(h[8:], length)
	return h
}

func TestParserBudgets(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name   string
		frames func(i int) []byte
		maxStr int
		want   error // after 100k frames sent within a second
	}{
		{"pings", func(i int) []byte { return header(typePing, flagSYN, 0, uint32(i)) }, 3, ErrPingFlood},
		{"ping answers", func(i int) []byte { return header(typePing, 2, 0, uint32(i)) }, 3, ErrPingFlood},
		{"stream opens", func(i int) []byte { return header(typeWindowUpdate, flagSYN, uint32(2*i+1), 0) }, 3, ErrStreamFlood},
		{"window updates", func(i int) []byte { return header(typeWindowUpdate, 0, 1, 1) }, 3, ErrFrameFlood},
		{"empty data frames", func(i int) []byte { return header(typeData, 0, 1, 0) }, 3, ErrFrameFlood},
		{"tiny data frames", func(i int) []byte { return append(header(typeData, 0, 7, 1), 'x') }, 3, ErrFrameFlood},
		{"go aways", func(i int) []byte { return header(typeGoAway, 0, 0, 0) }, 3, ErrFrameFlood},
		{"bad version", func(i int) []byte { h := header(typeData, 0, 1, 0); h[0] = 1; return h }, 3, ErrBadMuxHeader},
		{"bad type", func(i int) []byte { return header(9, 0, 1, 0) }, 3, ErrBadMuxHeader},
		{"client side: any stream open", func(i int) []byte { return header(typeData, flagSYN, 2, 0) }, 0, ErrStreamFlood},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(tt.maxStr)
			var err error
			for i := 0; i < 100000 && err == nil; i++ {
				err = p.feed(tt.frames(i), now.Add(time.Duration(i)*time.Microsecond))
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if again := p.feed(header(typeData, 0, 1, 0), now); again != err {
				t.Fatalf("not sticky: %v then %v", err, again)
			}
		})
	}
}

// What a legitimate peer sends passes: keepalive pings, the protocol's
// streams, large data frames at any rate, frames split across reads.
func TestParserLegitimateTraffic(t *testing.T) {
	p := newParser(Streams)
	now := time.Unix(1000, 0)
	feed := func(b []byte) {
		t.Helper()
		for len(b) > 0 { // in 5-byte reads
			k := min(5, len(b))
			if err := p.feed(b[:k], now); err != nil {
				t.Fatal(err)
			}
			b = b[k:]
		}
	}
	for id := uint32(1); id <= 5; id += 2 {
		feed(header(typeWindowUpdate, flagSYN, id, 0))
	}
	payload := make([]byte, 64<<10)
	for i := range 20 * 60 * 100 { // 100 frames of 64 KiB a second for 20 minutes
		now = now.Add(10 * time.Millisecond)
		feed(header(typeData, 0, 3, uint32(len(payload))))
		if err := p.feed(payload, now); err != nil {
			t.Fatal(err)
		}
		feed(header(typeWindowUpdate, 0, 3, 1<<19))
		if i%500 == 0 { // a keepalive and its answer every 5s
			feed(header(typePing, flagSYN, 0, uint32(i)))
			feed(header(typePing, 2, 0, uint32(i)))
		}
	}
	// A burst of small frames, as a busy agent's pump writes them.
	for range 10000 {
		feed(append(header(typeData, 0, 3, 100), payload[:100]...))
	}
}

// A peer that floods pings while it reads nothing: the guarded session
// closes the connection instead of growing a goroutine per ping.
func TestPingFloodClosesSession(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	sess, err := Server(a, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	g0 := runtime.NumGoroutine()
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; err == nil && i < 1_000_000; i++ {
			_, err = b.Write(header(typePing, flagSYN, 0, uint32(i)))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a million pings were accepted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the flood was not cut off")
	}
	if !errors.Is(sess.Abuse(), ErrPingFlood) {
		t.Fatalf("Abuse() = %v", sess.Abuse())
	}
	if g := runtime.NumGoroutine(); g > g0+pingBurst+8 {
		t.Fatalf("%d goroutines, %d before the flood", g, g0)
	}
	select {
	case <-sess.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("session not closed")
	}
}

// A peer that never reads: writes give up after writeTimeout instead of
// blocking the session's writer for ever.
func TestWriteIsBounded(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	g := newGuard(a, 0)
	g.writeTimeout = time.Second
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := g.Write(make([]byte, 10)); done <- err }()
	select {
	case err := <-done:
		if err == nil || time.Since(start) < g.writeTimeout {
			t.Fatalf("write returned %v after %v", err, time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write still blocked")
	}
}

// FuzzParser feeds arbitrary bytes, whole and in pieces: the parser never
// panics and reaches the same verdict however the bytes are split.
func FuzzParser(f *testing.F) {
	f.Add(header(typePing, flagSYN, 0, 1), 3)
	f.Add(append(header(typeData, flagSYN, 1, 3), 'a', 'b', 'c'), 1)
	f.Add(header(typeWindowUpdate, flagSYN|2, 5, 1<<20), 0)
	f.Add([]byte{0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7}, 2)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		now := time.Unix(1, 0)
		whole := newParser(Streams)
		werr := whole.feed(b, now)
		pieces := newParser(Streams)
		var perr error
		step := max(1, split%17)
		for i := 0; i < len(b) && perr == nil; i += step {
			perr = pieces.feed(b[i:min(len(b), i+step)], now)
		}
		if (werr == nil) != (perr == nil) || (werr != nil && werr.Error() != perr.Error()) {
			t.Fatalf("whole: %v, in pieces of %d: %v", werr, step, perr)
		}
		if werr == nil && (whole.n != pieces.n || whole.skip != pieces.skip || whole.streams != pieces.streams) {
			t.Fatalf("states differ: %+v vs %+v", whole, pieces)
		}
	})
}
