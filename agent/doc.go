// Package agent is what a Go service embeds so that jstrace can trace it:
// a listener that the jstrace CLI attaches to, which runs each session's
// script (its Remote function) inside the service, in a sandbox, on the
// probes the service placed with package jstrace.
//
// One call starts it; Shutdown stops it, letting attached sessions end
// normally for as long as its context allows (Close stops it at once):
//
//	a, err := agent.Listen(agent.Options{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer a.Close()
//	…
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	a.Shutdown(ctx) // on SIGTERM, say: never blocks past ctx
//
// The zero Options are the safe defaults: a loopback listener on a free
// port, registered in a private run directory so that `jstrace` finds it
// by pid, title or hostname, and attachable only by the service's own user
// (see Options.Token and Options.TLS for other hosts; an address reachable
// from other hosts is refused without one of them). Environment variables
// (EnvAddr, EnvToken, …) override Options, so a deployment can retarget an
// agent without a code change.
//
// Scripts run within budgets: Options.Limits bounds each session (CPU per
// call and share, panics, output rates, aggregations) and Options.Totals
// all of them together; a session past a budget is detached and its CLI and
// the service's log say why, while the service goes on. SECURITY.md at the
// repository's root states the threat model, every limit and what remains
// possible.
//
// The agent also exports the service's spans while it runs, with no CLI
// attached, when Options.Export or $JSTRACE_EXPORTERS names exporters
// (package export: a console waterfall, probe events; OTLP and Zipkin
// with package github.com/jstrace-go/jstrace/otel imported). It names
// the service of spans after its Title ($JSTRACE_SERVICE overrides),
// applies $JSTRACE_SAMPLER, and flushes the export at Shutdown.
//
// Importing the package registers three probes of the Go runtime, read
// from runtime/metrics every RuntimeSamplePeriod by one goroutine per
// process that runs only while some session (or jstrace.On) subscribes to
// one of them: go:gc (one event per completed GC cycle), go:heap and
// go:sched (one event per period). See docs/scripts.md for their fields.
//
// An Agent's methods are safe for concurrent use. Background goroutines
// report through Options.Logger with constant messages (component=jstrace):
// Warn for what an operator may act on (a budget exhausted, a script
// detached or stuck, the listener failing), Debug for what any peer can
// cause (a port scanner's failed TLS handshake, a bad token).
package agent
