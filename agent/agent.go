package agent

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// maxHandshakes bounds the connections that have not started a session
// yet, so that a flood of connections costs the host bounded memory.
const maxHandshakes = 16

// An Agent serves tracing sessions to the jstrace CLI. Its methods are safe
// for concurrent use.
type Agent struct {
	opts   Options
	log    *slog.Logger
	ln     net.Listener
	origin scripthost.Origin
	unreg  func() error // removes the discovery file; nil without one
	secret string       // written in the discovery file; "" without one
	addr   string       // as the CLI dials it

	sessions   atomic.Int32
	gov        *governor      // the sessions' budgets
	handshakes chan struct{}  // a slot per connection not yet in a session
	refused    atomic.Uint64  // connections closed for want of a slot
	refusals   refusalLog     // rate-limits warnings about unauthenticated peers
	dropped    refusalLog     // rate-limits warnings about authenticated ones
	wg         sync.WaitGroup // the accept loop and every connection

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Listen starts an agent: it listens on opts.Addr, registers for local
// discovery and serves sessions in background goroutines until Close.
func Listen(opts Options) (*Agent, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("jstrace agent: %w", err)
	}
	ln, err := listen(opts)
	if err != nil {
		return nil, fmt.Errorf("jstrace agent: listen on %s: %w", opts.Addr, err)
	}
	a := &Agent{
		opts:   opts,
		log:    opts.Logger.With("component", "jstrace"),
		ln:     ln,
		origin: scripthost.Origin{Hostname: opts.Hostname, Title: opts.Title, PID: os.Getpid()},
		conns:  map[net.Conn]struct{}{},

		handshakes: make(chan struct{}, maxHandshakes),
		addr:       addrString(ln),
	}
	a.gov = newGovernor(opts, a.log, &a.wg)
	if !opts.NoDiscovery {
		a.secret = newSecret()
		a.unreg, err = discovery.Register(opts.RunDir, discovery.Entry{
			PID:      a.origin.PID,
			Title:    opts.Title,
			Hostname: opts.Hostname,
			Addr:     a.addr,
			TLS:      opts.TLS != nil,
			Secret:   a.secret,
			Version:  jstrace.Version,
			Started:  time.Now(),
		})
		if err != nil {
			// The service must not fail to start over this: the agent stays
			// reachable with jstrace --agents.
			a.log.Warn("jstrace agent: local discovery disabled", "err", err, "addr", a.addr)
			a.unreg, a.secret = nil, ""
		}
	}
	a.wg.Add(1)
	go a.accept()
	a.log.Debug("jstrace agent listening", "addr", a.addr, "title", opts.Title)
	return a, nil
}

// Addr returns the address the agent listens on.
func (a *Agent) Addr() net.Addr { return a.ln.Addr() }

// newSecret returns 32 random bytes in hex.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Title returns the process title the agent reports.
func (a *Agent) Title() string { return a.opts.Title }

// Sessions returns the number of sessions attached.
func (a *Agent) Sessions() int { return int(a.sessions.Load()) }

// Close stops the agent: it stops listening, removes its discovery file,
// ends every session (their scripts' cleanup runs, briefly) and waits for
// all its goroutines. Probes return to their disabled cost. Close is
// idempotent.
func (a *Agent) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	for c := range a.conns {
		c.Close()
	}
	a.mu.Unlock()
	err := a.ln.Close()
	if path, ok := strings.CutPrefix(a.addr, unixPrefix); ok {
		os.Remove(path)
	}
	if a.unreg != nil {
		err = errors.Join(err, a.unreg())
	}
	a.gov.close()
	a.wg.Wait()
	a.refusals.close(a.log)
	a.dropped.close(a.log)
	return err
}

func (a *Agent) accept() {
	defer a.wg.Done()
	var delay time.Duration
	for {
		c, err := a.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			a.log.Warn("jstrace agent: accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		select {
		case a.handshakes <- struct{}{}:
		default:
			// Too many connections are still shaking hands: a flood, or a
			// hostile peer holding them open. Shed the newcomer.
			a.refusals.warn(a.log, a.log, "jstrace agent: too many connections in handshake; closing new ones", "refused", a.refused.Add(1))
			c.Close()
			continue
		}
		if !a.track(c, true) {
			c.Close()
			return
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.track(c, false)
			defer c.Close()
			var once sync.Once
			release := func() { once.Do(func() { <-a.handshakes }) }
			defer release()
			a.serve(c, release)
		}()
	}
}

// track adds or removes a connection; adding fails once the agent is closed.
func (a *Agent) track(c net.Conn, add bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !add {
		delete(a.conns, c)
		return true
	}
	if a.closed {
		return false
	}
	a.conns[c] = struct{}{}
	return true
}
