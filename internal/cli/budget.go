package cli

import (
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
)

// Bounds of what one agent makes the CLI print: its console output as
// written (with prefixes and escapes), as a token bucket. An agent's own
// limit is 1 MiB of console text a second; prefixes of short lines can
// multiply that, so a hostile agent could flood the terminal many times
// over. Output beyond the bucket is dropped, counted and reported.
const (
	consoleRate  = 2 << 20 // bytes a second, per agent
	consoleBurst = 8 << 20 // bytes at once, per agent
)

// maxWarned bounds the one-time warnings remembered (per name, per
// address): beyond, further ones are counted, not printed.
const maxWarned = 1024

// consoleBudget is one agent's output bucket. It is used by the agent's
// console reader goroutine and read by report under budgets.mu.
type consoleBudget struct {
	tokens  float64
	last    time.Time
	dropped int64 // bytes not printed
	warned  bool
}

// budgets holds the agents' console budgets. Its methods are safe for
// concurrent use.
type budgets struct {
	mu sync.Mutex
	m  map[*client.Conn]*consoleBudget
}

// allow takes n bytes from c's bucket; false means the output is dropped
// (and counted). first is true the first time c's output is dropped.
func (b *budgets) allow(c *client.Conn, n int) (ok, first bool) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[*client.Conn]*consoleBudget{}
	}
	cb := b.m[c]
	if cb == nil {
		cb = &consoleBudget{tokens: consoleBurst, last: now}
		b.m[c] = cb
	}
	cb.tokens = min(consoleBurst, cb.tokens+now.Sub(cb.last).Seconds()*consoleRate)
	cb.last = now
	if float64(n) <= cb.tokens {
		cb.tokens -= float64(n)
		return true, false
	}
	cb.dropped += int64(n)
	first = !cb.warned
	cb.warned = true
	return false, first
}

// dropped returns the bytes of c's output that were not printed.
func (b *budgets) dropped(c *client.Conn) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cb := b.m[c]; cb != nil {
		return cb.dropped
	}
	return 0
}
