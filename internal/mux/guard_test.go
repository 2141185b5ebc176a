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

// simulate feeds the frames of each source at its rate for d of
// simulated time, in order of their due time, and returns the first error
// and when it came.
func simulate(p *parser, d time.Duration, sources ...source) (error, time.Duration) {
	now := time.Unix(1000, 0)
	next := make([]time.Duration, len(sources))
	for {
		i := 0
		for j := range sources {
			if next[j] < next[i] {
				i = j
			}
		}
		at := next[i]
		if at > d {
			return nil, d
		}
		if err := p.feed(sources[i].frame, now.Add(at)); err != nil {
			return err, at
		}
		next[i] += sources[i].every
	}
}

// A source sends frame every so often.
type source struct {
	frame []byte
	every time.Duration
}

func perSecond(n int) time.Duration { return time.Second / time.Duration(n) }

func dataFrame(id uint32, n int) []byte {
	return append(header(typeData, 0, id, uint32(n)), make([]byte, n)...)
}

// An honest agent at its limits for a minute: its console at MaxConsoleRate
// (1 MiB/s) written as one 100-byte frame per print (what an agent that
// did not coalesce its prints sent), its events at MaxEmitRate (8 MiB/s)
// in the pump's batches, a hundred small batches a second besides, the
// window updates of the control stream and pings; its console alone at
// its limit (the events' large frames do not make up for the small ones);
// and small frames alone at a third of the frame rate.
func TestParserSustainedHonestTraffic(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sources []source
	}{
		{"agent at its limits", []source{
			{dataFrame(5, 100), perSecond((1 << 20) / 100)}, // console
			{dataFrame(3, 84<<10), perSecond(100)},          // events at 8 MiB/s
			{dataFrame(3, 64), perSecond(100)},              // a trickle of events
			{header(typeWindowUpdate, 0, 1, 64<<10), perSecond(10)},
			{header(typePing, flagSYN, 0, 1), 5 * time.Second}, // keepalives
			{header(typePing, 2, 0, 1), 5 * time.Second},       // and answers
		}},
		{"console alone at its limit", []source{
			{dataFrame(5, 100), perSecond((1 << 20) / 100)},
			{dataFrame(3, 64), perSecond(100)}, // the pump's passes, nearly empty
			{header(typePing, flagSYN, 0, 1), 5 * time.Second},
			{header(typePing, 2, 0, 1), 5 * time.Second},
		}},
		{"small frames at a third of the budget", []source{
			{dataFrame(5, 1), perSecond(frameRate / 3)},
			{header(typeWindowUpdate, 0, 1, 1), perSecond(100)},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(Streams)
			if err, at := simulate(p, time.Minute, tt.sources...); err != nil {
				t.Fatalf("cut off after %v: %v", at, err)
			}
		})
	}
}

// Floods that are sustained rather than sent at once, a little above the
// frame rate: they are cut off once the burst is spent.
func TestParserSustainedFloods(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame []byte
	}{
		{"empty data frames", header(typeData, 0, 1, 0)},
		{"tiny data frames", dataFrame(99, 1)},
		{"100-byte data frames", dataFrame(3, 100)},
		{"window updates", header(typeWindowUpdate, 0, 1, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(Streams)
			err, at := simulate(p, time.Minute, source{tt.frame, perSecond(frameRate * 3 / 2)})
			if !errors.Is(err, ErrFrameFlood) {
				t.Fatalf("a minute of %s at %d a second: %v", tt.name, frameRate*3/2, err)
			}
			t.Logf("cut off after %v", at)
		})
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
