package cli

import (
	"context"
	"encoding/binary"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/recording"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Bounds of a replay.
const (
	// maxRemotes bounds the Remote instances of a replay, one per recorded
	// process: each is an interpreter of its own.
	maxRemotes = 64
	// clockStep is how much recorded time may pass before every engine's
	// clock is told, so that a process with no traces for a while still
	// runs its Every callbacks in step with the others.
	clockStep = 10 * time.Millisecond
	// pacingTick is how often, replaying in recorded time, the clocks move
	// while the next trace is not due yet.
	pacingTick = 100 * time.Millisecond
)

// replayer runs a script on the traces of a recording: Local, and Remote
// once per recorded process, on virtual clocks. Its fields are owned by
// the goroutine that runs run, except now (read by the output) and the
// tracer's (shared with the engines' outputs).
type replayer struct {
	opts    *ReplayOptions
	t       *tracer // the output of Local, warnings: no agents
	name    string
	src     []byte
	local   *engine.Engine
	remote  bool // the script has a Remote
	remotes map[scripthost.Origin]*replayRemote
	order   []*replayRemote
	skipped int          // processes past maxRemotes: Local only
	now     atomic.Int64 // the replay's clock, Unix nanoseconds
	told    time.Time    // when the engines' clocks were last all moved
	failed  error        // a Remote did not load: the replay ends
}

// replayRemote is the Remote instance of one recorded process.
type replayRemote struct {
	rp     *replayer
	conn   *client.Conn // stands for the process in messages
	eng    *engine.Engine
	sub    *jstrace.Subscription // encodes its Emits
	rec    []byte                // the record of the Emit being encoded
	failed bool                  // Remote did not load: its traces are skipped
}

// newReplayer starts Local on a virtual clock starting at the first
// record's time (now, for an empty recording).
func newReplayer(opts *ReplayOptions, name string, src []byte, first recording.Record) (*replayer, error) {
	start := time.Now()
	if first.Event != nil {
		ev, _ := protocol.ParseRecord(first.Event) // checked by the Reader
		start = time.Unix(0, ev.Time)
	}
	out := opts.IO
	rp := &replayer{
		opts: opts, name: name, src: src, remote: hasRemote(src),
		remotes: map[scripthost.Origin]*replayRemote{}, told: start,
		t: &tracer{opts: &TraceOptions{IO: out}, out: out, warned: map[string]bool{}},
	}
	rp.now.Store(start.UnixNano())
	out.clock = func() time.Time { return time.Unix(0, rp.now.Load()) }
	var err error
	rp.local, err = engine.Start(name, src, engine.Local, (*localOutput)(rp.t), engine.Options{
		Block: true, MaxPending: localPending, LocalOnly: true, Args: opts.Args, Clock: start,
	})
	if err != nil {
		return nil, withCode(ExitScript, err)
	}
	rp.t.eng = rp.local
	return rp, nil
}

// hasRemote reports whether the script declares a function Remote.
func hasRemote(src []byte) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "Remote" {
			return true
		}
	}
	return false
}

// run feeds the records, first then the rest of rd, until the end of the
// recording or stop. It returns how many it fed and the error that ended
// the reading, nil at the end of the file.
func (rp *replayer) run(rd *recording.Reader, first recording.Record, stop <-chan struct{}) (int, error) {
	if first.Event == nil {
		return 0, nil
	}
	ev, _ := protocol.ParseRecord(first.Event)
	t0, wall := time.Unix(0, ev.Time), time.Now()
	speed := rp.opts.Speed
	if speed <= 0 {
		speed = 1
	}
	n := 0
	for rec := first; ; n++ {
		tr, err := scripthost.ParseTrace(rec.Event, scripthost.Origin{Hostname: rec.Hostname, Title: rec.Title, PID: rec.PID})
		if err != nil { // the Reader checked it: not expected
			rp.t.warnOnce("bad record", "warning: a malformed record skipped: %v", err)
		} else {
			if !rp.opts.Fast && !rp.pace(t0, wall, speed, tr.Time, stop) {
				return n, nil
			}
			rp.feed(tr, rec, len(rec.Event))
			if rp.failed != nil {
				return n + 1, nil
			}
		}
		select {
		case <-stop:
			return n + 1, nil
		default:
		}
		var rerr error
		if rec, rerr = rd.Next(); rerr == io.EOF {
			return n + 1, nil
		} else if rerr != nil {
			return n + 1, rerr
		}
	}
}

// pace waits until the trace at recorded time at is due, moving the
// clocks meanwhile; false if stopped.
func (rp *replayer) pace(t0, wall time.Time, speed float64, at time.Time, stop <-chan struct{}) bool {
	due := wall.Add(time.Duration(float64(at.Sub(t0)) / speed))
	for {
		wait := time.Until(due)
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(min(wait, pacingTick))
		select {
		case <-stop:
			timer.Stop()
			return false
		case <-timer.C:
		}
		// Never past the trace: its time is when the clocks next move.
		if now := t0.Add(time.Duration(float64(time.Since(wall)) * speed)); now.Before(at) {
			rp.tell(now)
		}
	}
}

// feed hands a trace to Local, if it wants it, and to its process's
// Remote, if the script has one; then moves every clock if clockStep has
// passed.
func (rp *replayer) feed(tr *script.Trace, rec recording.Record, size int) {
	if tr.Time.UnixNano() > rp.now.Load() {
		rp.now.Store(tr.Time.UnixNano())
	}
	kind, _, _ := protocol.PeekRecord(rec.Event)
	if r := rp.remoteFor(tr, kind); r != nil && r.eng.Wants(tr.Name) {
		// In step: what Remote emits for the trace reaches Local before
		// the traces after it, so that a replay gives the same output
		// every time.
		r.eng.Dispatch(engine.Batch{Traces: []*script.Trace{tr}, Bytes: size})
		r.eng.Flush()
	}
	if rp.local.Wants(tr.Name) {
		rp.local.Dispatch(engine.Batch{Traces: []*script.Trace{tr}, Bytes: size})
	}
	if tr.Time.Sub(rp.told) >= clockStep {
		rp.tell(tr.Time)
	}
}

// tell moves every engine's clock to at.
func (rp *replayer) tell(at time.Time) {
	if at.UnixNano() > rp.now.Load() {
		rp.now.Store(at.UnixNano())
	}
	rp.told = at
	for _, r := range rp.order {
		if !r.failed {
			r.eng.Dispatch(engine.Batch{Now: at})
			r.eng.Flush()
		}
	}
	rp.local.Dispatch(engine.Batch{Now: at})
}

// remoteFor returns the Remote instance of the trace's process, starting
// it on its first trace; nil if the script has no Remote, the trace was
// emitted by one (recorded emits go to Local only), or there are too many
// processes.
func (rp *replayer) remoteFor(tr *script.Trace, kind protocol.RecordKind) *replayRemote {
	if !rp.remote || kind != protocol.RecordEvent {
		return nil
	}
	o := scripthost.Origin{Hostname: tr.Hostname, Title: tr.Title, PID: tr.PID}
	if r := rp.remotes[o]; r != nil {
		if r.failed {
			return nil
		}
		return r
	}
	if len(rp.order) >= maxRemotes {
		rp.skipped++
		rp.t.warnOnce("max remotes", "warning: the recording has more than %d processes: Remote runs for the first %d, the others' traces reach Local only", maxRemotes, maxRemotes)
		return nil
	}
	r := &replayRemote{rp: rp, conn: &client.Conn{Addr: o.Prefix(), Origin: o}}
	r.sub = jstrace.SubscribeFunc(func(string) bool { return false }, func(e jstrace.Event) {
		r.rec = append(r.rec[:0], e.Record()...)
	})
	rp.remotes[o] = r
	rp.order = append(rp.order, r)
	var err error
	r.eng, err = engine.Start(rp.name, rp.src, engine.Remote, r, engine.Options{Block: true, RemoteOnly: true, Args: rp.opts.Args, Clock: tr.Time})
	if err != nil {
		r.failed = true
		rp.failed = withCode(ExitScript, fmt.Errorf("Remote (run here, with the packages every agent allows; none a service opts in): %w", err))
		return nil
	}
	return r
}

// shutdown ends the replay as a session ends: each Remote's cleanup runs
// (its Emits still reach Local), then Local's. A second Ctrl-C gives up.
func (rp *replayer) shutdown(sigs <-chan os.Signal) error {
	rp.tell(time.Unix(0, rp.now.Load())) // the Every callbacks due by the last trace
	// As agents are given for theirs, the Remotes have stopTimeout for
	// their cleanup, which a second Ctrl-C cuts short.
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	interrupted, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-sigs:
			close(interrupted)
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, r := range rp.order {
		if !r.failed && r.eng.Stop(ctx) != nil {
			r.eng.Abandon()
		}
		r.sub.Close()
	}
	if ctx.Err() == context.DeadlineExceeded {
		rp.t.out.errorf("Remote cleanups did not finish within %v", stopTimeout)
	}
	cancel()
	<-exited
	select {
	case <-interrupted:
		rp.local.Abandon()
		return withCode(ExitInterrupted, errInterrupted)
	default:
	}
	if !rp.t.finishLocal(sigs) {
		return withCode(ExitInterrupted, errInterrupted)
	}
	rp.t.report()
	return rp.failed
}

// The engine.Output methods of a Remote, called on its engine goroutine.

var _ engine.Output = (*replayRemote)(nil)

// Emit sends the event to Local, timed by the Remote's clock.
func (r *replayRemote) Emit(name string, kv []any) {
	r.rec = r.rec[:0]
	r.sub.Emit(name, kv...)
	if len(r.rec) == 0 {
		r.rp.t.warnOnce("emit size "+name, "%s: Remote emitted %q over %d bytes: dropped", r.rp.t.who(r.conn), name, jstrace.MaxRecordSize)
		return
	}
	// The record's time is the wall clock's: make it the replay's.
	_, n := binary.Uvarint(r.rec[1:])
	at := 1 + n + len(name)
	now := r.rp.now.Load()
	if r.eng != nil { // nil while Remote's top level runs
		now = r.eng.Now().UnixNano()
	}
	binary.LittleEndian.PutUint64(r.rec[at:], uint64(now))
	rec := append([]byte(nil), r.rec...)
	tr, err := scripthost.ParseTrace(rec, r.conn.Origin)
	if err != nil {
		return
	}
	if !r.rp.local.Wants(name) {
		r.rp.t.warnOnce("emit "+name, "warning: Remote emitted %q but Local has no handler for it", name)
		return
	}
	r.rp.local.Dispatch(engine.Batch{Traces: []*script.Trace{tr}, Bytes: len(rec)})
}

var _ engine.Shipper = (*replayRemote)(nil)

// Ship sends a Remote's shipped groups (traces.Ship) to Local, as an
// agent's session does, timed by the Remote's clock. Nil groups only ask
// whether it can.
func (r *replayRemote) Ship(name string, g *protocol.Groups) error {
	if g == nil {
		return nil
	}
	now := r.rp.now.Load()
	if r.eng != nil {
		now = r.eng.Now().UnixNano()
	}
	rec := protocol.AppendGroupsRecord(nil, name, now, g)
	if len(rec) > jstrace.MaxRecordSize {
		return fmt.Errorf("shipped groups of %d bytes exceed the record limit of %d", len(rec), jstrace.MaxRecordSize)
	}
	tr, err := scripthost.ParseTrace(rec, r.conn.Origin)
	if err != nil {
		return err
	}
	if !r.rp.local.Wants(name) {
		r.rp.t.warnOnce("ship "+name, "warning: Remote shipped %q but Local does not read it (traces.Merged)", name)
		return nil
	}
	r.rp.local.Dispatch(engine.Batch{Traces: []*script.Trace{tr}, Bytes: len(rec)})
	return nil
}

func (r *replayRemote) Print(stream byte, text string) {
	w, text, ok := r.rp.t.out.console(r.rp.t.who(r.conn), protocol.Console{Stream: protocol.ConsoleStream(stream), Text: text}, nil)
	if ok {
		r.rp.t.out.writeSafe(w, []byte(text))
	}
}

func (r *replayRemote) Fault(msg string) { r.Print(byte(protocol.ConsoleFault), msg+"\n") }

// Detach is not expected: a replayed Remote runs without limits.
func (r *replayRemote) Detach(reason string) {
	r.rp.t.out.errorf("%s: Remote stopped: %s", r.rp.t.who(r.conn), reason)
}

func (r *replayRemote) Subscribed(*match.Set) {}
