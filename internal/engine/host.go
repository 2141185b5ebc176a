package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// The scripthost.Host methods. Script code calls them, so they run on the
// engine goroutine.

var _ scripthost.Host = (*Engine)(nil)

// On adds a handler and publishes the new pattern set.
func (e *Engine) On(pattern string, fn func(*script.Trace)) error {
	e.callbacks++
	kind := &callKind{what: fmt.Sprintf("handler for %q", pattern), budget: e.limits.HandlerTimeout}
	return e.subscribe(handler{pattern: pattern, fn: fn, kind: kind})
}

// Aggregate hands the Aggregation to Options.Feed, or else adds a native
// handler: called directly, not as script code.
func (e *Engine) Aggregate(pattern string, f scripthost.Feed) error {
	if e.feed == nil {
		return e.subscribe(handler{pattern: pattern, fn: f.Trace})
	}
	if _, err := match.Compile(pattern); err != nil {
		return err
	}
	if err := e.feed(pattern, f); err != nil {
		return err
	}
	var fed []string
	if old := e.fed.Load(); old != nil {
		fed = slices.Clip(*old)
	}
	fed = append(fed, pattern)
	e.fed.Store(&fed)
	return nil
}

// subscribe adds h. Its trace name routes to it at once; the patterns
// Wants and Patterns read, and the Output's subscription, follow when the
// call of script code that added it returns (see run): a thousand calls
// of On in a loop update them once.
func (e *Engine) subscribe(h handler) error {
	if err := e.subs.Add(h.pattern); err != nil {
		return err
	}
	h.set, _ = match.Compile(h.pattern)
	e.handlers = append(e.handlers, h)
	clear(e.routes)
	e.last = nil
	e.subsNew = true
	return nil
}

// publishSubs hands the patterns subscribe added to Wants, Patterns and
// the Output.
func (e *Engine) publishSubs() {
	e.subsNew = false
	set := e.subs.Set()
	e.set.Store(set)
	e.out.Subscribed(set)
}

// Emit forwards to the Output.
func (e *Engine) Emit(name string, kv []any) { e.out.Emit(name, kv) }

// Print forwards to the Output.
func (e *Engine) Print(stream byte, text string) { e.out.Print(stream, text) }

// Now returns the engine's clock: the virtual clock's time (Options.Clock)
// or the wall clock's. Call it on the engine goroutine: from script code
// or an Output method.
func (e *Engine) Now() time.Time { return e.timers.clock() }

// Every schedules fn.
func (e *Engine) Every(d time.Duration, fn func()) {
	e.callbacks++
	e.EveryNative(d, fn)
}

// EveryNative is Every for Go code of package script's own (traces.Ship's
// shipments), which is not the script's: it does not keep the engine
// from letting go of the interpreter (see Released).
func (e *Engine) EveryNative(d time.Duration, fn func()) { e.timers.add(d, fn) }

// OnCleanupNative is OnCleanup for Go code of package script's own.
func (e *Engine) OnCleanupNative(fn func()) { e.cleanups = append(e.cleanups, fn) }

// OnCleanup registers fn for Stop.
func (e *Engine) OnCleanup(fn func()) {
	e.callbacks++
	e.OnCleanupNative(fn)
}

// A Shipper is an Output that sends shipped aggregation groups
// (traces.Ship) to the CLI: the agent's session. Outputs that are not
// refuse Ship.
type Shipper interface {
	Ship(name string, g *protocol.Groups) error
}

// Ship forwards to the Output, if it is a Shipper.
func (e *Engine) Ship(name string, g *protocol.Groups) error {
	if s, ok := e.out.(Shipper); ok {
		return s.Ship(name, g)
	}
	return errors.New("traces.Ship sends from Remote: in Local, read what Remote shipped with traces.Merged")
}
