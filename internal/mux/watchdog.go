package mux

import (
	"cmp"
	"sync"
	"time"
)

// A Watchdog ends the client sessions it watches whose peer has been
// silent too long, in place of each session's own keepalive: a goroutine
// and a timer a session, which pings the peer every KeepAliveInterval and
// waits for the answer. An agent pings its CLI on that interval anyway
// (its sessions keep their keepalive), and the guard notes every byte
// that arrives, so a CLI with many agents can let one goroutine look at
// when each was last heard from. The agents are then spared answering
// the CLI's pings, a goroutine each in the traced process.
//
// Its methods may be called from any goroutine.
type Watchdog struct {
	// Silence is how long a peer may say nothing before its session is
	// closed; Every, how often sessions are looked at. Set before the
	// first Client; defaults: three keepalive intervals (15 s), and a
	// second (a dead peer's session is closed within 16 s).
	Silence, Every time.Duration

	mu       sync.Mutex
	sessions map[*Session]struct{}
	started  bool
	closed   bool
	quit     chan struct{}
	done     chan struct{}
}

// watch starts watching s, and the watchdog's goroutine if it is the
// first. After Close it reports false, and does nothing.
func (w *Watchdog) watch(s *Session) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	if !w.started {
		w.started = true
		w.sessions = map[*Session]struct{}{}
		w.quit, w.done = make(chan struct{}), make(chan struct{})
		go w.run(cmp.Or(w.Every, time.Second))
	}
	w.sessions[s] = struct{}{}
	return true
}

// keepAlive pings s's peer every keepAliveInterval and closes s when a
// ping fails, as yamux's keepalive would: for a session a closed Watchdog
// turned away, which must not go without either.
func keepAlive(s *Session) {
	t := time.NewTicker(keepAliveInterval)
	defer t.Stop()
	for {
		select {
		case <-s.CloseChan():
			return
		case <-t.C:
			if _, err := s.Ping(); err != nil {
				s.Close()
				return
			}
		}
	}
}

func (w *Watchdog) run(every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case now := <-t.C:
			w.check(now)
		}
	}
}

// check closes the silent sessions and forgets the closed ones.
func (w *Watchdog) check(now time.Time) {
	silence := w.Silence
	if silence <= 0 {
		silence = 3 * keepAliveInterval // read only then: tests change it
	}
	var silent []*Session
	w.mu.Lock()
	for s := range w.sessions {
		switch {
		case s.IsClosed():
			delete(w.sessions, s)
		case now.Sub(s.g.lastHeard()) > silence:
			delete(w.sessions, s)
			silent = append(silent, s)
		}
	}
	w.mu.Unlock()
	for _, s := range silent {
		s.Close()
	}
}

// Close stops the watchdog. The sessions it watched that are still open
// go on pinging their peers themselves, as later ones do (watch).
func (w *Watchdog) Close() {
	w.mu.Lock()
	started := w.started && !w.closed
	w.closed = true
	if started {
		close(w.quit)
	}
	left := w.sessions
	w.sessions = nil
	w.mu.Unlock()
	if started {
		<-w.done
	}
	for s := range left {
		if !s.IsClosed() {
			go keepAlive(s)
		}
	}
}
