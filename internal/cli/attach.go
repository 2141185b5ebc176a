package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// How long an address is left alone after an attempt.
const (
	retryFailed   = 5 * time.Second  // unreachable, refused
	retryMismatch = 10 * time.Second // another process (--agents addresses)
	retryScript   = time.Hour        // the script will not load there
)

// scan attaches every new candidate, at most maxAttaching at a time, and
// returns how many it attached. When it attached none, the error says why,
// with the exit code of the most telling failure.
func (t *tracer) scan(ctx context.Context) (int, error) {
	cands, err := t.sel.candidates(ctx)
	if err != nil {
		return 0, withCode(ExitConnect, err)
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		n        int
		others   []string // agents that did not match, for the message
		firstErr error
	)
	now := time.Now()
	slots := make(chan struct{}, cmp.Or(t.attaching, maxAttaching))
	for _, c := range cands {
		if ctx.Err() != nil {
			break // the attempts in flight end with ctx; the rest wait for the next run
		}
		t.mu.Lock()
		_, busy := t.agents[c.addr]
		skip := now.Before(t.skip[c.addr])
		placed := !busy && !skip && !t.stopping
		if placed {
			t.agents[c.addr] = &agent{} // placeholder: attaching
		}
		t.mu.Unlock()
		if busy || skip {
			continue
		}
		// A slot, or the end of ctx: a scan that waits for one must not
		// outlive a cancelled run.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if placed {
				t.mu.Lock()
				delete(t.agents, c.addr) // never tried: free for the next scan
				t.mu.Unlock()
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, who, err := t.try(ctx, c)
			<-slots
			mu.Lock()
			defer mu.Unlock()
			switch res {
			case attached:
				n++
			case notMatching:
				others = append(others, who)
			case failed:
				if firstErr == nil || rank(err) > rank(firstErr) {
					firstErr = err
				}
			}
		}()
	}
	wg.Wait()
	if n > 0 {
		return n, nil
	}
	if firstErr != nil {
		return 0, firstErr
	}
	return 0, t.noMatch(others)
}

// permanent reports whether an attach failure will happen again: a script
// that does not load, a wrong token, another protocol version, a peer that
// is not an agent. Waiting does not help those.
func permanent(err error) bool {
	var pe *protocol.Error
	return exitCode(err) == ExitScript ||
		errors.Is(err, protocol.ErrVersion) || errors.Is(err, protocol.ErrBadMagic) ||
		(errors.As(err, &pe) && pe.Code == protocol.CodeAuth)
}

// rank orders failures by how much they tell: the one reported when nothing
// could be attached.
func rank(err error) int {
	switch {
	case exitCode(err) == ExitScript:
		return 2
	case permanent(err):
		return 1
	}
	return 0
}

// noMatch explains that nothing matched, listing what the scan found
// (not listing the directory again: a rescan that finds nothing new on a
// machine of 1,000 agents would read their 1,000 files each second for a
// message nobody reads).
func (t *tracer) noMatch(others []string) error {
	if len(t.sel.agents) == 0 {
		for _, e := range t.sel.lastListed() {
			others = append(others, t.out.field(fmt.Sprintf("%s/%s/%d", e.Hostname, e.Title, e.PID)))
		}
	}
	msg := "no agent matches: searched " + t.sel.describe()
	if len(others) > 0 {
		msg += " (found " + strings.Join(others, ", ") + ")"
	}
	return withCode(ExitNoAgents, errors.New(msg))
}

// try dials one candidate and attaches the script if it matches.
func (t *tracer) try(ctx context.Context, c candidate) (attachResult, string, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	opts := t.opts.dialOptions(t.tls, c)
	opts.Watchdog = t.watchdog
	conn, err := client.Dial(dctx, c.addr, opts)
	cancel()
	if err != nil {
		t.forget(c.addr, retryFailed)
		if t.opts.Verbose || t.live() > 0 {
			t.warnOnce("dial "+c.addr+err.Error(), "%v", err)
		}
		return failed, "", withCode(ExitConnect, err)
	}
	who := t.who(conn)
	if !t.sel.matchesWelcome(&conn.Welcome) {
		conn.Close()
		t.forget(c.addr, retryMismatch)
		return notMatching, who, nil
	}
	if _, err := conn.Attach(&t.attach, t); err != nil {
		conn.Close()
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code == protocol.CodeScript {
			t.out.prefixed(t.out.stderr, who+" >> ", "script error: "+pe.Message)
			if predatesShipping(pe.Message) {
				t.out.errorf("%s: the agent (jstrace %s) predates shipped aggregations (traces.Ship, traces.Merged): upgrade it", who, conn.Welcome.Agent)
			}
			t.forget(c.addr, retryScript)
			return failed, who, withCode(ExitScript, fmt.Errorf("%s: the script did not load", who))
		}
		if errors.As(err, &pe) && pe.Code == protocol.CodeProtocol && len(t.attach.Args) > 0 {
			err = fmt.Errorf("the agent (jstrace %s) predates script arguments: upgrade it, or run the script without arguments after --: %w", conn.Welcome.Agent, err)
		}
		t.forget(c.addr, retryFailed)
		t.out.errorf("%s: %v", who, err)
		return failed, who, withCode(ExitConnect, fmt.Errorf("%s: %w", who, err))
	}
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		conn.Close()
		return failed, who, nil
	}
	a := &agent{conn: conn}
	t.agents[c.addr] = a
	t.wg.Add(1)
	t.mu.Unlock()
	if t.opts.Verbose {
		t.out.errorf("attached to %s (%s)", who, c.addr)
	}
	conn.OnEnd(func() { t.ended(c.addr, a) })
	return attached, who, nil
}

// forget removes an address's placeholder and leaves it alone for a while.
func (t *tracer) forget(addr string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.agents, addr)
	t.skip[addr] = time.Now().Add(d)
}

// ended is called once an agent's session has ended (client.Conn.OnEnd).
// An agent that leaves before the end is reported, and may join again
// later.
func (t *tracer) ended(addr string, a *agent) {
	defer t.wg.Done()
	stats, err := a.conn.Wait(0) // at once: the session has ended
	a.conn.Close()
	t.mu.Lock()
	if stats != (protocol.Stats{}) {
		a.stats = stats
	}
	a.err, a.ended = err, true
	stopping := t.stopping
	if stats.Detached != "" {
		// Stopped for a limit, even in the session's last moments (the
		// final flush ran a backlog of handlers past one): the exit code
		// says so, as the console did.
		t.detached++
	}
	if !stopping {
		delete(t.agents, addr)
		if stats.Detached != "" {
			t.skip[addr] = time.Now().Add(retryScript) // it would fail again
		}
	}
	t.mu.Unlock()
	who := t.who(a.conn)
	switch {
	case !stopping && stats.Detached != "":
		// The agent said why on the console stream, with the prefix.
		if msg := lossSummary(a.stats); msg != "" {
			t.out.errorf("%s: %s", who, msg)
		}
		select {
		case t.changed <- struct{}{}:
		default:
		}
	case !stopping:
		reason := "session ended"
		if err != nil {
			reason = err.Error()
		}
		t.out.errorf("%s: agent gone (%s)", who, reason)
		if msg := lossSummary(a.stats); msg != "" {
			t.out.errorf("%s: %s", who, msg)
		}
		select {
		case t.changed <- struct{}{}:
		default:
		}
	case err != nil && !errors.Is(err, client.ErrLost):
		t.out.errorf("%s: %v", who, err)
	case err != nil:
		t.out.errorf("%s: connection lost before the remote cleanup finished", who)
	}
}

// predatesShipping reports whether an agent's script error says that its
// package script has no traces.Ship or traces.Merged: it is older.
func predatesShipping(msg string) bool {
	return strings.Contains(msg, "(type *script.Traces has no field or method Ship)") ||
		strings.Contains(msg, "(type *script.Traces has no field or method Merged)")
}
