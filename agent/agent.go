package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// maxHandshakes bounds the connections that have not started a session
// yet, so that a flood of connections costs the host bounded memory.
const maxHandshakes = 16

// An Agent serves tracing sessions to the jstrace CLI. Its methods are safe
// for concurrent use.
type Agent struct {
	opts        Options
	log         *slog.Logger
	ln          net.Listener
	origin      scripthost.Origin
	unreg       func() error          // removes the discovery file; nil without one
	export      *export.Pipeline      // nil without exporters
	flight      *jstrace.Subscription // the flight recorder; nil without one
	dumps       chan struct{}         // a slot: one dump at a time
	lists       chan struct{}         // a slot: one probe catalogue at a time
	flightStart int64                 // when the flight recorder started, Unix nanoseconds
	secret      string                // written in the discovery file; "" without one
	addr        string                // as the CLI dials it

	sessions   atomic.Int32
	gov        *governor      // the sessions' budgets
	handshakes chan struct{}  // a slot per connection not yet in a session
	refused    atomic.Uint64  // connections closed for want of a slot
	refusals   refusalLog     // rate-limits warnings about unauthenticated peers
	dropped    refusalLog     // rate-limits warnings about authenticated ones
	wg         sync.WaitGroup // the accept loop and every connection

	// The agent's end (see Shutdown): ending is closed when it begins,
	// hurry is cancelled when the agent stops waiting for sessions, done
	// is closed once wg is.
	endOnce   sync.Once
	ending    chan struct{}
	hurry     context.Context
	hurryNow  context.CancelFunc
	done      chan struct{}
	abortOnce sync.Once

	mu     sync.Mutex
	conns  map[net.Conn]bool // true once the connection runs a session
	closed bool
}

// Listen starts an agent: it listens on opts.Addr, registers for local
// discovery and serves sessions in background goroutines until Shutdown or
// Close.
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
		conns:  map[net.Conn]bool{},
		ending: make(chan struct{}),
		done:   make(chan struct{}),

		handshakes: make(chan struct{}, maxHandshakes),
		addr:       addrString(ln),
		dumps:      make(chan struct{}, 1),
		lists:      make(chan struct{}, 1),
	}
	a.flight, a.flightStart = startFlight(opts.Flight), time.Now().UnixNano()
	a.hurry, a.hurryNow = context.WithCancel(context.Background())
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
			a.log.Warn("discovery disabled", "err", err, "addr", a.addr)
			a.unreg, a.secret = nil, ""
		}
	}
	a.startExport()
	a.wg.Add(1)
	go a.accept()
	a.log.Debug("listening", "addr", a.addr, "title", opts.Title)
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
			a.log.Warn("accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		select {
		case a.handshakes <- struct{}{}:
		default:
			// Too many connections are still shaking hands: a flood, or a
			// hostile peer holding them open. Shed the newcomer.
			a.refusals.note(a.log, a.log, slog.LevelWarn, "handshake slots full", "refused", a.refused.Add(1), "slots", maxHandshakes)
			c.Close()
			continue
		}
		if !a.track(c) {
			<-a.handshakes
			c.Close()
			return
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.untrack(c)
			defer c.Close()
			var once sync.Once
			release := func() { once.Do(func() { <-a.handshakes }) }
			defer release()
			a.serve(c, release, func() bool { release(); return a.enter(c) })
		}()
	}
}

// track adds a connection in handshake; it fails once the agent ends.
func (a *Agent) track(c net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.conns[c] = false
	return true
}

// enter marks a tracked connection as running a session; it fails once
// the agent ends: no session starts then.
func (a *Agent) enter(c net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.conns[c] = true
	return true
}

func (a *Agent) untrack(c net.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.conns, c)
}
