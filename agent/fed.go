package agent

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/cheaprand"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// fed holds the subscriptions through which a session's native
// Aggregations are fed by the probes themselves (engine.Options.Feed): an
// event matching only Aggregations is reduced on the goroutine that fires
// it, and never enters the session buffer, the pump or the engine.
//
// That work is the session's, done on the service's goroutines, outside
// the watchdog: fed bounds it. A session has at most
// Limits.MaxAggregations (so an event does at most that many reductions
// for it), the agent's sessions Totals.MaxAggregations together; their
// patterns cost at most match.MaxCost together to match a new probe name
// (a new probe is matched on the goroutine that registers it); their
// groups hold at most Limits.MaxAggregationMemory (pool); and the CPU
// time the reductions take is sampled into cpu (see reductionTimer),
// which the governor counts against the session's CPU budget and the
// agent's. It is safe for concurrent use.
type fed struct {
	max   int         // Limits.MaxAggregations
	total *aggCounter // the agent's, across sessions
	pool  *scripthost.Pool
	cpu   atomic.Int64 // estimated CPU nanoseconds spent in the reductions (see reductionTimer)

	mu      sync.Mutex
	subs    []*jstrace.Subscription
	cost    int // of the subscriptions' patterns, at most match.MaxCost
	closed  bool
	refused func(error) // told of the first Aggregation refused
}

// aggCounter counts the Aggregations of all sessions against a limit.
type aggCounter struct {
	max int
	n   atomic.Int64
}

func (c *aggCounter) take() bool {
	if c.n.Add(1) > int64(c.max) {
		c.n.Add(-1)
		return false
	}
	return true
}

func newFed(l Limits, total *aggCounter, refused func(error)) *fed {
	return &fed{max: l.MaxAggregations, total: total, pool: scripthost.NewPool(l.MaxAggregationMemory), refused: refused}
}

var errEnding = errors.New("the session is ending")

// sampleEvery is how often (one event in sampleEvery, at random) a
// reduction is timed: the samples, scaled, estimate the time of them all
// for ~2 ns per event, spent drawing a random number (package cheaprand).
const sampleEvery = 64

// subscribe starts feeding f with the events of the probes matching
// pattern, until close; it fails beyond the session's and the agent's
// number of Aggregations.
func (f *fed) subscribe(pattern string, feed scripthost.Feed) error {
	set, err := match.Compile(pattern)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errEnding
	}
	if c := f.cost + set.Cost(); c > match.MaxCost {
		return fmt.Errorf("pattern %q: %w: the script's aggregations' patterns would cost %d to match, more than the limit of %d in all", pattern, match.ErrTooComplex, c, match.MaxCost)
	}
	if len(f.subs) >= f.max {
		return f.refuse(fmt.Errorf("the script has %d aggregations, the most a session may have", f.max))
	}
	if !f.total.take() {
		return f.refuse(fmt.Errorf("the agent's sessions have %d aggregations, the most they may have together", f.total.max))
	}
	if feed.Limit != nil {
		feed.Limit(scripthost.AggLimits{MaxBytes: min(scripthost.DefaultMaxAggregationBytes, f.pool.Limit()), Pool: f.pool})
	}
	f.cost += set.Cost()
	event := feed.Event
	timer := &reductionTimer{cpu: &f.cpu, event: event}
	f.subs = append(f.subs, jstrace.SubscribeFunc(set.Match, func(e jstrace.Event) {
		if cheaprand.Uint32()%sampleEvery != 0 {
			event(e)
			return
		}
		timer.sample(e)
	}))
	return nil
}

// refuse tells refused of the session's first refusal, and returns err;
// the caller holds mu.
func (f *fed) refuse(err error) error {
	if f.refused != nil {
		f.refused(err)
		f.refused = nil
	}
	return err
}

// cpuTime returns the estimated time the reductions took so far.
func (f *fed) cpuTime() time.Duration { return time.Duration(f.cpu.Load()) }

// close ends every subscription, and any made later, and gives the
// Aggregations back to the agent's count. It is idempotent.
func (f *fed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for _, s := range f.subs {
		s.Close()
	}
	f.total.n.Add(-int64(len(f.subs)))
}
