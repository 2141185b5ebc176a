package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Peers can make the agent log: before authentication a garbage
// connection, a wrong secret, a failed TLS handshake; after it, a
// connection dropped or cut off for abuse. Most are Debug records (a port
// scanner or a broken client is no news); the full handshake slots, and an
// authenticated peer abusing the multiplexer (someone holding a credential:
// the operator may revoke it), are Warn. Either way a flood
// of them must not flood the service's log: at most refusalsLogged of each
// kind (before, after authentication) are logged per refusalWindow, the
// others are counted and summarised in one record at the end of the
// window, at the highest level they had.
const (
	refusalsLogged = 10
	refusalWindow  = time.Minute
)

// refusalLog rate-limits the records about peers' connections. Its
// methods are safe for concurrent use; once close has returned, it logs
// no summary.
type refusalLog struct {
	mu         sync.Mutex
	start      time.Time   // of the current window
	logged     int         // in the current window
	suppressed int         // not logged since the last summary
	level      slog.Level  // the highest of those
	timer      *time.Timer // pending summary, nil if none
	closed     bool
	summaries  sync.WaitGroup // the pending summary's timer function
}

// note logs msg at level on log unless the window's quota is spent; then
// it counts it, and summary (on summaryLog) reports the count when the
// window ends. A record the logger would drop costs nothing.
func (r *refusalLog) note(log, summaryLog *slog.Logger, level slog.Level, msg string, args ...any) {
	if !log.Enabled(context.Background(), level) {
		return
	}
	now := time.Now()
	r.mu.Lock()
	if now.Sub(r.start) >= refusalWindow {
		r.start, r.logged = now, 0
	}
	if r.logged < refusalsLogged {
		r.logged++
		r.mu.Unlock()
		log.Log(context.Background(), level, msg, args...)
		return
	}
	if r.suppressed == 0 || level > r.level {
		r.level = level
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

// summary logs how many records were not, and starts a new window.
func (r *refusalLog) summary(log *slog.Logger) {
	r.mu.Lock()
	n, level := r.suppressed, r.level
	r.suppressed, r.timer = 0, nil
	r.start, r.logged = time.Now(), 0
	r.mu.Unlock()
	if n > 0 {
		log.Log(context.Background(), level, "connection records suppressed", "not_logged", n, "window", refusalWindow)
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
