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

// subscribe starts feeding event with the events of the probes matching
// pattern, until close.
func (f *fed) subscribe(pattern string, event func(jstrace.Event)) error {
	set, err := match.Compile(pattern)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errEnding
	}
	f.subs = append(f.subs, jstrace.SubscribeFunc(set.Match, event))
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
