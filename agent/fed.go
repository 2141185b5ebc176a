package agent

import (
	"errors"
	"sync"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/match"
)

// fed holds the subscriptions through which a session's native
// Aggregations are fed by the probes themselves (engine.Options.Feed): an
// event matching only Aggregations is reduced on the goroutine that fires
// it, and never enters the session buffer, the pump or the engine. It is
// safe for concurrent use.
type fed struct {
	mu     sync.Mutex
	subs   []*jstrace.Subscription
	closed bool
}

var errEnding = errors.New("the session is ending")

// subscribe starts feeding record with the events of the probes matching
// pattern, until close.
func (f *fed) subscribe(pattern string, record func([]byte)) error {
	set, err := match.Compile(pattern)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errEnding
	}
	f.subs = append(f.subs, jstrace.SubscribeFunc(set.Match, record))
	return nil
}

// close ends every subscription, and any made later. It is idempotent.
func (f *fed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, s := range f.subs {
		s.Close()
	}
}

// dropped returns how many events were too large to be fed.
func (f *fed) dropped() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := uint64(0)
	for _, s := range f.subs {
		n += s.Dropped()
	}
	return n
}
