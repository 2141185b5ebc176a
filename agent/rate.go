package agent

import "time"

// rate enforces a budget of bytes per one-second window. It is owned by
// one goroutine (the engine's: scripts emit and print from there).
type rate struct {
	limit int
	start time.Time
	used  int
}

// allow counts n bytes and reports whether the window's budget holds.
func (r *rate) allow(n int) bool {
	if now := time.Now(); now.Sub(r.start) >= time.Second {
		r.start, r.used = now, 0
	}
	r.used += n
	return r.used <= r.limit
}
