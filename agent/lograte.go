package agent

import (
	"log/slog"
	"sync"
	"time"
)

// Peers can make the agent log: before authentication a garbage
// connection, a wrong secret, a failed TLS handshake; after it, a
// connection dropped or cut off for abuse. Each is worth a warning, but a
// flood of them must not flood the service's log: at most refusalsLogged
// of each kind (before, after authentication) are logged per
// refusalWindow, the others are counted and summarised in one line at the
// end of the window.
const (
	refusalsLogged = 10
	refusalWindow  = time.Minute
)

// refusalLog rate-limits the warnings about peers' connections. Its
// methods are safe for concurrent use.
type refusalLog struct {
	mu         sync.Mutex
	start      time.Time   // of the current window
	logged     int         // in the current window
	suppressed int         // not logged since the last summary
	timer      *time.Timer // pending summary, nil if none
	closed     bool
}

// warn logs msg on log unless the window's quota is spent; then it counts
// it, and summary (on summaryLog) reports the count when the window ends.
func (r *refusalLog) warn(log, summaryLog *slog.Logger, msg string, args ...any) {
	now := time.Now()
	r.mu.Lock()
	if now.Sub(r.start) >= refusalWindow {
		r.start, r.logged = now, 0
	}
	if r.logged < refusalsLogged {
		r.logged++
		r.mu.Unlock()
		log.Warn(msg, args...)
		return
	}
	r.suppressed++
	if r.timer == nil && !r.closed {
		r.timer = time.AfterFunc(r.start.Add(refusalWindow).Sub(now), func() { r.summary(summaryLog) })
	}
	r.mu.Unlock()
}

// summary logs how many refusals were not, and starts a new window.
func (r *refusalLog) summary(log *slog.Logger) {
	r.mu.Lock()
	n := r.suppressed
	r.suppressed, r.timer = 0, nil
	r.mu.Unlock()
	if n > 0 {
		log.Warn("jstrace agent: more connection warnings than logged", "not_logged", n, "window", refusalWindow)
	}
}

// close stops a pending summary, logging it now.
func (r *refusalLog) close(log *slog.Logger) {
	r.mu.Lock()
	r.closed = true
	t := r.timer
	r.mu.Unlock()
	if t != nil && t.Stop() {
		r.summary(log)
	}
}
