package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Time limits of a session's end.
const (
	// cleanupTimeout bounds the script's cleanup functions.
	cleanupTimeout = 5 * time.Second
	// flushTimeout bounds sending what remains to the CLI.
	flushTimeout = 5 * time.Second
	// lingerTimeout is how long the agent waits for the CLI to close the
	// connection after Done, so that closing never cuts the last frames.
	lingerTimeout = 5 * time.Second
)

// A session is one CLI attached through one connection: its subscription,
// its script engine, and the goroutines that move events and console output
// to the CLI.
type session struct {
	a      *Agent
	log    *slog.Logger
	attach *protocol.Attach
	fr     *protocol.FrameReader
	fw     *protocol.FrameWriter
	ctl    *yamux.Stream
	events *yamux.Stream

	local  *match.Set                // probes forwarded raw to the CLI
	remote atomic.Pointer[match.Set] // probes the remote handlers want
	sub    *jstrace.Subscription     // the session buffer: to the CLI
	// The remote handlers' events (see handlers.go): handlers sees them
	// as their probes fire, queue holds those that wait for the engine
	// goroutine, ahead counts those in queue or on their way to the
	// engine, chunks hands out the traces of those that do not wait. eng
	// is here, by what handlerEvent reads each event, not by what it is.
	handlers *jstrace.Subscription
	queue    *jstrace.Subscription
	ahead    atomic.Int64
	eng      *engine.Engine
	chunks   chunks
	// loading is set while the script's entry point runs: its On calls
	// then only record the patterns, applied to sub once it returns, so
	// that a script calling On in a loop costs one pass over the probes,
	// not one per call. subMu orders the passes: the last applies the
	// newest patterns.
	loading atomic.Bool
	subMu   sync.Mutex
	fed     *fed // the Aggregations' subscriptions
	warn    warner
	console *console
	sent    atomic.Uint64 // records sent to the CLI
	lost    atomic.Uint64 // records that could not be sent

	faultOnce sync.Once

	// Detaching: the reason, set once, and a signal for the session loop.
	detachOnce   sync.Once
	detachReason string
	detached     chan struct{}

	emitRate, consoleRate rate // owned by whoever holds the engine's lock (see engine.Output)

	ships *shipQueue // shipped groups waiting for the pump (see Ship)
}

func newSession(a *Agent, peer string, attach *protocol.Attach, fr *protocol.FrameReader, fw *protocol.FrameWriter, ctl, events, console *yamux.Stream) *session {
	sum := sha256.Sum256([]byte(attach.Source))
	s := &session{
		a:       a,
		log:     a.log.With("peer", peer, "script", attach.Name, "sha256", hex.EncodeToString(sum[:6])),
		attach:  attach,
		fr:      fr,
		fw:      fw,
		ctl:     ctl,
		events:  events,
		console: newConsole(console),

		detached:    make(chan struct{}),
		ships:       newShipQueue(),
		emitRate:    rate{limit: a.opts.Limits.MaxEmitRate},
		consoleRate: rate{limit: a.opts.Limits.MaxConsoleRate},
	}
	s.warn.s, s.warn.more = s, make(chan struct{}, 1)
	s.fed = newFed(a.opts.Limits, &a.gov.aggs, func(err error) {
		s.log.Warn("aggregation refused", "err", err)
	})
	return s
}

func (s *session) run() {
	start := time.Now()
	defer s.console.close(flushTimeout)
	if perr := s.a.gov.admit(s); perr != nil {
		s.log.Warn("session refused", "reason", perr.Message)
		refuse(s.fw, s.fr, s.ctl, perr)
		return
	}
	defer s.a.gov.leave(s) // or later, if its script still runs (see stopEngine)
	var err error
	if s.local, err = match.Compile(s.attach.LocalPatterns...); err != nil {
		refuse(s.fw, s.fr, s.ctl, &protocol.Error{Code: protocol.CodeScript, Message: "local patterns: " + err.Error()})
		return
	}
	s.sub = jstrace.Subscribe(s.local.Match, s.a.opts.BufferSize)
	defer s.sub.Close()
	s.queue = jstrace.Subscribe(nil, s.a.opts.BufferSize)
	defer s.queue.Close()
	l := s.a.opts.Limits
	s.eng, err = engine.New(s, engine.Options{Packages: s.a.opts.Packages, RemoteOnly: true, Limits: engine.Limits{
		HandlerTimeout: l.HandlerTimeout,
		SetupTimeout:   l.SetupTimeout,
		MaxCPU:         l.MaxCPU,
		MaxFaults:      l.MaxFaults,
	}, Feed: s.warn.feed, Args: s.attach.Args})
	if err != nil {
		refuse(s.fw, s.fr, s.ctl, &protocol.Error{Code: protocol.CodeInternal, Message: err.Error()})
		return
	}
	defer s.fed.close()
	s.handlers = jstrace.SubscribeFunc(nil, s.handlerEvent)
	defer s.handlers.Close()
	s.loading.Store(true)
	err = s.eng.Run(s.attach.Name, []byte(s.attach.Source), engine.Remote)
	s.loading.Store(false)
	if err != nil {
		s.stopEngine()
		s.log.Info("script refused", "err", err)
		refuse(s.fw, s.fr, s.ctl, &protocol.Error{Code: protocol.CodeScript, Message: err.Error()})
		return
	}
	overflow := jstrace.Unregistered() // before the CLI can know it is attached
	s.resubscribe()
	if err := s.fw.Send(protocol.FrameAttached, &protocol.Attached{RemotePatterns: s.eng.Patterns()}); err != nil {
		s.stopEngine()
		return
	}
	s.log.Info("session attached", "remote", s.eng.Patterns(), "local", s.local.Patterns())
	s.warn.start = time.Now()
	s.a.gov.join(s)

	p := newPump(s)
	go p.run()
	stop, ctlDone := s.readControl()
	s.waitStop(stop)
	s.warn.tick(true)

	// Teardown: no more probe events; move what is buffered; run the
	// cleanup; send what it produced; then say Done. Every step has a
	// deadline, so a CLI that stopped reading cannot hold the session (the
	// pump may be blocked writing to it right now).
	s.sub.Close()
	s.handlers.Close()
	s.fed.close()
	s.events.SetWriteDeadline(time.Now().Add(flushTimeout))
	p.flush()
	s.stopEngine()
	s.reportOverflow(overflow)
	s.events.SetWriteDeadline(time.Now().Add(flushTimeout))
	p.stop()
	s.console.close(flushTimeout)
	stats := s.stats()
	inlined, _ := s.eng.Inlined()
	s.fw.Send(protocol.FrameDone, &stats)
	s.ctl.SetReadDeadline(time.Now().Add(lingerTimeout))
	<-ctlDone
	s.log.Info("session ended", "duration", time.Since(start).Round(time.Millisecond),
		"events", stats.Events, "dropped", stats.Dropped, "handler_dropped", stats.HandlerDropped,
		"console_dropped", stats.ConsoleDropped, "errors", stats.Errors, "handled_inline", inlined)
}

// readControl reads the control stream until it ends. stop is closed on
// Stop or when the stream fails (the CLI is gone); done when it ends.
func (s *session) readControl() (stop, done <-chan struct{}) {
	stopc, donec := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go func() {
		defer close(donec)
		defer once.Do(func() { close(stopc) })
		for {
			t, _, err := s.fr.ReadFrame()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, yamux.ErrStreamClosed) {
					s.log.Debug("control stream ended", "err", err)
				}
				return
			}
			if t == protocol.FrameStop {
				once.Do(func() { close(stopc) })
			}
		}
	}()
	return stopc, donec
}

// waitStop waits for the end of the session: the CLI's Stop or its loss,
// the script's detachment, or the agent's end (see Agent.Shutdown). It sends Stats every second if the CLI asked
// for them.
func (s *session) waitStop(stop <-chan struct{}) {
	var tick, warn <-chan time.Time
	if s.attach.Flags&protocol.AttachStats != 0 {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	var warnTicker *time.Ticker
	if s.warn.enabled() {
		warnTicker = time.NewTicker(warnEvery)
		defer warnTicker.Stop()
		warn = warnTicker.C
	}
	for {
		select {
		case <-stop:
			return
		case <-s.detached:
			return
		case <-s.a.ending:
			return
		case <-tick:
			stats := s.stats()
			s.fw.Send(protocol.FrameStats, &stats)
		case <-warn:
			s.warn.tick(false)
			if s.warn.idle() {
				warnTicker.Stop()
				warn = nil
			}
		case <-s.warn.more:
			if warn == nil && warnTicker != nil {
				warnTicker.Reset(warnEvery)
				warn = warnTicker.C
			}
		}
	}
}

func (s *session) stats() protocol.Stats {
	return protocol.Stats{
		Events:         s.sent.Load(),
		Dropped:        s.sub.Dropped() + s.queue.Dropped() + s.lost.Load(),
		HandlerDropped: s.eng.Dropped(),
		ConsoleDropped: s.console.droppedBytes(),
		Errors:         s.eng.Faults(),
		Detached:       s.detachedWhy(),
	}
}

func (s *session) detachedWhy() string {
	select {
	case <-s.detached:
		return s.detachReason
	default:
		return ""
	}
}

// The engine.Output methods, called with the engine's lock held: on the
// engine goroutine, or where a probe fired (see handlers.go).

var _ engine.Output = (*session)(nil)

// Emit puts an event emitted by Remote into the session buffer, behind the
// probe events, for the pump to send. A script emitting faster than
// MaxEmitRate is detached.
func (s *session) Emit(name string, kv []any) {
	n, _ := s.sub.Emit(name, kv...)
	if !s.emitRate.allow(n) {
		s.eng.Kill(fmt.Sprintf("the script emitted more than %d bytes in a second", s.emitRate.limit))
	}
}

// Print queues console output. A script printing faster than
// MaxConsoleRate is detached.
func (s *session) Print(stream byte, text string) {
	if !s.consoleRate.allow(len(text)) {
		s.eng.Kill(fmt.Sprintf("the script printed more than %d bytes in a second", s.consoleRate.limit))
		return
	}
	s.console.print(protocol.ConsoleStream(stream), text)
}

// Detach ends the session because the script exceeded a limit: the CLI is
// told why in the console and in Done.
func (s *session) Detach(reason string) {
	s.detachOnce.Do(func() {
		s.detachReason = reason
		s.console.printReason("script detached: " + reason + "\n")
		s.log.Warn("script detached", "reason", reason)
		close(s.detached)
	})
}

// Fault reports a script failure to the CLI, and the first one of the
// session to the service's log.
func (s *session) Fault(msg string) {
	s.console.print(protocol.ConsoleFault, msg+"\n")
	s.faultOnce.Do(func() { s.log.Info("script failed", "err", msg) })
}

// Subscribed updates the subscription with the remote handlers' patterns.
func (s *session) Subscribed(set *match.Set) {
	s.remote.Store(set)
	if !s.loading.Load() {
		s.resubscribe()
	}
}

// resubscribe makes handlers match the newest remote patterns. The match
// runs for every probe, outside the registry's lock.
func (s *session) resubscribe() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	remote := s.remote.Load()
	if remote.Len() == 0 {
		return
	}
	s.handlers.SetMatch(remote.Match)
}
