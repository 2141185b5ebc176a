// Package storetest is the conformance suite every [tracestore.Store] must
// pass: the embedded file store and the Redis store run the same tests, so
// `jstrace trace`, `slow` and `errors` behave the same on either.
//
// A store's test calls [Run] (or [RunWith] for a store whose retention
// runs on its own clock) with a function that opens the store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, o tracestore.Options) tracestore.Store {
//			return openMyStore(t, o) // see Opener for what it must do
//		})
//	}
package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// An Opener opens a handle on a store for test t with options o, failing
// t if it cannot. The first call with a given t must return an empty
// store; a later call with the same t must open a second handle on the
// same backing store (as a second collector would: another *sql.DB on the
// same file, another client of the same Redis database). The suite closes
// every handle it opens (and may close one twice: the second Close must
// not panic). It calls the Opener only from t's own goroutine, and runs its
// tests one at a time, so stores sharing one server may empty it when they
// see a new t.
type Opener func(t *testing.T, o tracestore.Options) tracestore.Store

// Capabilities tell the suite how a store differs from the embedded one.
// The zero value describes the embedded store.
type Capabilities struct {
	// RealClock is set for a store whose retention runs on its own clock
	// (Redis TTLs) rather than Options.Now: the retention tests then use a
	// real Retention of RealRetention and sleep. Options.Now still sets
	// "today" for Errors. Default false: retention follows Options.Now.
	RealClock bool
}

// RealRetention is the Retention the retention tests give a store with
// Capabilities.RealClock.
const RealRetention = 1500 * time.Millisecond

// Run runs the suite on the store opened by open, with the zero
// Capabilities (the embedded store's).
func Run(t *testing.T, open Opener) { RunWith(t, Capabilities{}, open) }

// RunWith runs the suite on the store opened by open, which has caps.
func RunWith(t *testing.T, caps Capabilities, open Opener) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Put", putTests},
		{"Assemble", assembleTests},
		{"Invalid", invalidTests},
		{"Values", valueTests},
		{"Slow", slowTests},
		{"Errors", errorsTests},
		{"Recent", recentTests},
		{"Retention", retentionTests},
		{"Close", closeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.run(newEnv(t, caps, open))
				})
			}
		})
	}
}

// A test is one case of the suite.
type test struct {
	name string
	run  func(e *env)
}

// base is "now" on the suite's clock: noon UTC, so a few hours either way
// stay on the same day.
var base = time.Date(2031, 5, 20, 12, 0, 0, 0, time.UTC)

// A clock is the Options.Now the suite moves forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// An env is one test's store maker and clock.
type env struct {
	*testing.T
	caps  Capabilities
	open  Opener
	clock *clock
}

func newEnv(t *testing.T, caps Capabilities, open Opener) *env {
	return &env{T: t, caps: caps, open: open, clock: &clock{now: base}}
}

// store opens a handle with the suite's clock and retention r (0: the
// default), closed when the test ends.
func (e *env) store(r time.Duration) tracestore.Store {
	e.Helper()
	s := e.open(e.T, tracestore.Options{Retention: r, Now: e.clock.Now})
	if s == nil {
		e.Fatal("open returned a nil store")
	}
	e.Cleanup(func() { _ = s.Close() })
	return s
}

// sub runs f as subtest name of e's test, with e's store maker and clock.
func (e *env) sub(name string, f func(e *env)) {
	e.Run(name, func(t *testing.T) {
		f(&env{T: t, caps: e.caps, open: e.open, clock: e.clock})
	})
}
