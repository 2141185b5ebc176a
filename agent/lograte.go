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
// methods are safe for concurrent use; once close has returned, it logs
// no summary.
type refusalLog struct {
	mu         sync.Mutex
	start      time.Time   // of the current window
	logged     int         // in the current window
	suppressed int         // not logged since the last summary
	timer      *time.Timer // pending summary, nil if none
	closed     bool
	summaries  sync.WaitGroup // the pending summary's timer function
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
		r.summaries.Add(1)
		r.timer = time.AfterFunc(r.start.Add(refusalWindow).Sub(now), func() {
			defer r.summaries.Done()
			r.summary(summaryLog)
		})
	}
	r.mu.Unlock()
}

// summary logs how many refusals were not, and starts a new window.
func (r *refusalLog) summary(log *slog.Logger) {
	r.mu.Lock()
	n := r.suppressed
	r.suppressed, r.timer = 0, nil
	r.start, r.logged = time.Now(), 0
	r.mu.Unlock()
	if n > 0 {
		log.Warn("jstrace agent: more connection warnings than logged", "not_logged", n, "window", refusalWindow)
	}
}

// close logs a pending summary now, or waits for the one under way: when
// it returns, no summary is being logged or will be.
func (r *refusalLog) close(log *slog.Logger) {
	r.mu.Lock()
	r.closed = true
	t := r.timer
	r.mu.Unlock()
	if t != nil && t.Stop() {
		r.summaries.Done() // its function will not run
		r.summary(log)
	}
	r.summaries.Wait()
}
