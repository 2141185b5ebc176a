package engine

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/script"
)

// The script.Host methods. Script code calls them, so they run on the
// engine goroutine.

var _ script.Host = (*Engine)(nil)

// On adds a handler and publishes the new pattern set.
func (e *Engine) On(pattern string, fn func(*script.Trace)) error {
	set, err := e.set.Load().With(pattern)
	if err != nil {
		return err
	}
	one, _ := match.Compile(pattern)
	kind := &callKind{what: fmt.Sprintf("handler for %q", pattern), budget: e.limits.HandlerTimeout}
	e.handlers = append(e.handlers, handler{pattern: pattern, set: one, fn: fn, kind: kind})
	clear(e.routes)
	e.set.Store(set)
	e.out.Subscribed(set)
	return nil
}

// Emit forwards to the Output.
func (e *Engine) Emit(name string, kv []any) { e.out.Emit(name, kv) }

// Print forwards to the Output.
func (e *Engine) Print(stream byte, text string) { e.out.Print(stream, text) }

// Every schedules fn.
func (e *Engine) Every(d time.Duration, fn func()) { e.timers.add(d, fn) }

// OnCleanup registers fn for Stop.
func (e *Engine) OnCleanup(fn func()) { e.cleanups = append(e.cleanups, fn) }
