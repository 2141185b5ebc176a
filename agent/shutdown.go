package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Shutdown stops the agent gracefully, as [net/http.Server.Shutdown] does:
// it stops listening and removes its discovery file at once, closes the
// connections that have not started a session, then ends every session as
// the CLI's Stop would (the CLI gets what is buffered and the session's
// end, the script's cleanup functions run, within their usual limits) and
// waits for them to end and for the agent's goroutines to return. Probes
// return to their disabled cost.
//
// If ctx is done first, Shutdown gives up waiting: it closes every
// connection, halts every script still running (the CLIs see their
// connection lost) and returns an error wrapping ctx's at once; what is
// left winds down in the background. A script stuck in native code that
// neither returns nor calls back into the script cannot be halted: its
// goroutine lingers until that call returns, still counted in Sessions,
// but Shutdown never blocks the service past ctx.
//
// Meanwhile, the span export (Options.Export) exports the spans it
// holds, within ctx too: spans still queued when ctx is done are dropped
// and counted.
//
// Shutdown and Close may be called more than once, and concurrently; a
// later call waits for the same end (Shutdown until its own ctx is done).
func (a *Agent) Shutdown(ctx context.Context) error {
	err := a.begin()
	exported := make(chan error, 1)
	go func() { exported <- a.shutdownExport(ctx) }() // returns by ctx's end
	select {
	case <-a.done:
		return errors.Join(err, <-exported)
	case <-ctx.Done():
	}
	select {
	case <-a.done: // both ready: the agent did end in time
		return errors.Join(err, <-exported)
	default:
	}
	a.abort()
	return errors.Join(fmt.Errorf("jstrace agent: shutdown: %w", ctx.Err()), err, <-exported)
}

// Close stops the agent at once: it is Shutdown with a context already
// done, except that Close then waits for the agent's goroutines to return.
// That takes milliseconds, and at most a few seconds when a script must be
// halted: sessions end without their cleanup functions, the CLIs see their
// connection lost. A script stuck in native code is abandoned as Shutdown
// says. The span export stops at once too: spans still queued are
// dropped and counted (Shutdown exports them). Close is idempotent.
func (a *Agent) Close() error {
	err := a.begin()
	a.abort()
	now, cancel := context.WithCancel(context.Background())
	cancel()
	a.shutdownExport(now)
	<-a.done
	return err
}

// begin starts the agent's end, once: no more connections or sessions,
// every session told to end (see session.waitStop).
func (a *Agent) begin() (err error) {
	a.endOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		for c, inSession := range a.conns {
			if !inSession {
				c.Close()
			}
		}
		a.mu.Unlock()
		close(a.ending)
		err = a.ln.Close()
		if path, ok := strings.CutPrefix(a.addr, unixPrefix); ok {
			os.Remove(path)
		}
		if a.unreg != nil {
			err = errors.Join(err, a.unreg())
		}
		go a.finish()
	})
	return err
}

// finish closes done once every goroutine of the agent has returned (the
// governor's ends by itself once no session counts, or at abort).
func (a *Agent) finish() {
	a.wg.Wait()
	if a.flight != nil {
		a.flight.Close()
	}
	a.gov.close()
	a.refusals.close(a.log)
	a.dropped.close(a.log)
	a.hurryNow()
	close(a.done)
}

// abort stops waiting for sessions: every script still running is
// stopped without its cleanup (see session.stopEngine), every connection
// closed.
func (a *Agent) abort() {
	a.abortOnce.Do(func() {
		a.hurryNow()
		a.gov.close()
		a.mu.Lock()
		for c := range a.conns {
			c.Close()
		}
		a.mu.Unlock()
	})
}
