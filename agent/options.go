package agent

import (
	"cmp"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/internal/discovery"
)

// Environment variables that override Options, so that a service can be
// retargeted without code changes.
const (
	EnvAddr        = "JSTRACE_ADDR"
	EnvTitle       = "JSTRACE_TITLE"
	EnvToken       = "JSTRACE_TOKEN"
	EnvHostname    = "JSTRACE_HOSTNAME"
	EnvRunDir      = discovery.EnvRunDir
	EnvInsecure    = "JSTRACE_INSECURE"      // "1": Options.Insecure
	EnvTLSCert     = "JSTRACE_TLS_CERT"      // server certificate file (PEM)
	EnvTLSKey      = "JSTRACE_TLS_KEY"       // its key file (PEM)
	EnvTLSClientCA = "JSTRACE_TLS_CLIENT_CA" // require client certificates signed by this CA (PEM)
	EnvExporters   = export.EnvExporters     // span exporters to run: Options.Export
	EnvSampler     = export.EnvSampler       // sampler of new traces: Options.Export
	EnvService     = "JSTRACE_SERVICE"       // service name of spans: Options.Export
)

// EnvFlight (flight.go) sets Options.Flight.

// Options configure an agent. The zero value works: a loopback listener on
// a free port, registered for local discovery.
type Options struct {
	// Addr is the TCP address to listen on, or "unix:" and the path of a
	// Unix socket (created with mode 0600). Default: "127.0.0.1:0", the
	// loopback interface and a free port. $JSTRACE_ADDR overrides it.
	//
	// An address reachable from other hosts is refused unless the CLI must
	// authenticate (Token, or TLS requiring client certificates) or
	// Insecure is set.
	Addr string

	// Title names the process for jstrace -t. Default: the base name of the
	// executable. $JSTRACE_TITLE overrides it.
	Title string

	// Token, if not empty, lets a CLI that presents it (jstrace --token or
	// $JSTRACE_TOKEN) attach from anywhere. Without a token, only the
	// agent's own user can attach: through the secret of the discovery
	// file, which only that user can read, or by the identity of a local
	// peer (Unix socket, or loopback TCP on Linux).
	// Default: none. $JSTRACE_TOKEN overrides it.
	Token string

	// TLS, if not nil, serves TLS with this configuration. Setting
	// ClientAuth to tls.RequireAndVerifyClientCert (with ClientCAs)
	// authenticates CLIs by certificate. Default: nil, plain TCP.
	// $JSTRACE_TLS_CERT and $JSTRACE_TLS_KEY set a server certificate,
	// and $JSTRACE_TLS_CLIENT_CA requires client certificates signed by it.
	TLS *tls.Config

	// Insecure lets the agent listen beyond loopback without a way to
	// authenticate the CLI: anyone who can connect can run scripts in the
	// process. Default: false. $JSTRACE_INSECURE=1 sets it.
	Insecure bool

	// Hostname is reported to the CLI and matched by jstrace -H.
	// Default: os.Hostname(). $JSTRACE_HOSTNAME overrides it.
	Hostname string

	// RunDir is the directory of discovery files, where the CLI looks for
	// local agents. Default: $XDG_RUNTIME_DIR/jstrace, else
	// <os.TempDir()>/jstrace-<uid>. $JSTRACE_RUN_DIR overrides it.
	RunDir string

	// NoDiscovery, if true, writes no discovery file: the agent is then
	// reached with jstrace --agents only. Default: false.
	NoDiscovery bool

	// Logger receives the agent's log, tagged component=jstrace, with
	// constant messages: sessions attached and ended (Info), budgets
	// exhausted, scripts detached or stuck, the listener failing (Warn),
	// connections refused for a bad handshake, TLS or credential (Debug:
	// any peer can cause them). Default: slog.Default().
	Logger *slog.Logger

	// BufferSize is the size in bytes of each of a session's two event
	// buffers (the events for the CLI, and those waiting for the
	// script's handlers); events that do not fit are dropped and
	// counted. On Linux they are outside the Go heap (see
	// jstrace.Subscribe). Default: 1 MiB.
	BufferSize int

	// MaxSessions bounds the sessions attached at once; more are refused.
	// Default: 8.
	MaxSessions int

	// Packages opts packages in for remote scripts, beyond the allowlist of
	// pure standard packages: import path → exported name → value, in the
	// form yaegi's extract tool generates (see github.com/traefik/yaegi
	// "yaegi extract"). Scripts import them with a //jstrace:remote mark.
	// Only opt in what is safe to hand to code from the network: every
	// exported function, and every method of every value they return,
	// becomes callable. Default: none.
	Packages map[string]map[string]reflect.Value

	// Limits bound what each session's remote script may do; a script
	// that exceeds one is stopped (detached) and the CLI told why. The
	// zero value of each field means its default.
	Limits Limits

	// Totals bound what all sessions together may take of the process
	// (see Totals). The zero value of each field means its default.
	Totals Totals

	// Export exports the process's sampled spans while the agent runs,
	// with or without a CLI attached (see package export): a pipeline of
	// Export.Exporters and of the exporters $JSTRACE_EXPORTERS names
	// (comma-separated: console, event, otlp, zipkin; otlp and zipkin
	// need `import _ "github.com/jstrace-go/jstrace/otel"`), flushed by
	// Shutdown. Its other fields size the pipeline's queues and batches;
	// its Logger defaults to the agent's. Default: no export, unless
	// $JSTRACE_EXPORTERS names exporters.
	//
	// The agent also names the service of spans after Title, unless
	// jstrace.SetTracing named it; $JSTRACE_SERVICE overrides both.
	// $JSTRACE_SAMPLER sets the sampler of new traces (always, never, a
	// probability such as 0.25, or rate:0.2 traces per second),
	// overriding jstrace.SetTracing's. A variable in error is logged
	// (Warn) and ignored, as is an exporter that cannot be built: the
	// others run, and the service starts.
	Export export.Options

	// Flight keeps a flight recorder: the newest events of the probes it
	// names, in Flight.Size bytes of memory, always on, for `jstrace dump`
	// to fetch after an incident (see Flight). $JSTRACE_FLIGHT
	// ("8MiB:request:*,db:*", or "off") overrides it; a bad value, there
	// or here, makes Listen fail. Default: off.
	Flight Flight
}

// Limits bound a remote script. A script that exceeds one is detached: it
// runs no more, its session ends, and the CLI and the log say why.
type Limits struct {
	// HandlerTimeout bounds one call of a handler, an Every callback or a
	// cleanup function. Default: 100ms.
	HandlerTimeout time.Duration
	// SetupTimeout bounds the script's top-level code and its Remote
	// function, and each cleanup function. Default: 1s.
	SetupTimeout time.Duration
	// MaxCPU bounds the share of one CPU the script may use, over three
	// one-second windows in a row: its calls, and the work its
	// Aggregations do on the goroutines that fire the probes (sampled).
	// Where the kernel has per-thread CPU clocks (Linux) this is time on
	// a CPU: a host too loaded to run the script does not detach it.
	// Default: 0.5.
	MaxCPU float64
	// MaxFaults is how many panics of the script detach it. Default: 100.
	MaxFaults int
	// MaxEmitRate bounds the bytes of events the script may emit per
	// second. Default: 8 MiB.
	MaxEmitRate int
	// MaxConsoleRate bounds the bytes of console output the script may
	// print per second. Default: 1 MiB.
	MaxConsoleRate int
	// MaxAggregations bounds the script's Aggregations (traces.Aggregate
	// fails beyond it), and so the work one event does for the session
	// on the goroutine that fires it. That work counts in MaxCPU too.
	// Default: 16.
	MaxAggregations int
	// MaxAggregationMemory bounds the memory the groups of the script's
	// Aggregations hold together; each holds at most 4 MiB. Traces that
	// would take more are dropped and counted (Aggregation.Dropped).
	// Default: 16 MiB.
	MaxAggregationMemory int64
}

func (l Limits) resolve() Limits {
	l.HandlerTimeout = cmp.Or(l.HandlerTimeout, 100*time.Millisecond)
	l.SetupTimeout = cmp.Or(l.SetupTimeout, time.Second)
	l.MaxCPU = cmp.Or(l.MaxCPU, 0.5)
	l.MaxFaults = cmp.Or(l.MaxFaults, 100)
	l.MaxEmitRate = cmp.Or(l.MaxEmitRate, 8<<20)
	l.MaxConsoleRate = cmp.Or(l.MaxConsoleRate, 1<<20)
	l.MaxAggregations = cmp.Or(l.MaxAggregations, 16)
	l.MaxAggregationMemory = cmp.Or(l.MaxAggregationMemory, 16<<20)
	return l
}

// resolve applies the environment and the defaults.
func (o Options) resolve() (Options, error) {
	env := func(field *string, name string) {
		if v := os.Getenv(name); v != "" {
			*field = v
		}
	}
	env(&o.Addr, EnvAddr)
	env(&o.Title, EnvTitle)
	env(&o.Token, EnvToken)
	env(&o.Hostname, EnvHostname)
	env(&o.RunDir, EnvRunDir)
	if os.Getenv(EnvInsecure) == "1" {
		o.Insecure = true
	}
	if c, err := tlsFromEnv(); err != nil {
		return o, err
	} else if c != nil {
		o.TLS = c
	}
	if v := os.Getenv(EnvFlight); v != "" { // empty is unset, as for the others
		f, err := ParseFlight(v)
		if err != nil {
			return o, err
		}
		o.Flight = f
	}
	if err := o.Flight.check(); err != nil {
		return o, err
	}
	o.Addr = cmp.Or(o.Addr, "127.0.0.1:0")
	if o.Title == "" {
		o.Title = defaultTitle()
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
		o.Hostname = cmp.Or(o.Hostname, "localhost")
	}
	o.RunDir = discovery.Dir(o.RunDir)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.BufferSize = cmp.Or(o.BufferSize, jstrace.DefaultBufferSize)
	o.MaxSessions = cmp.Or(o.MaxSessions, 8)
	o.Limits = o.Limits.resolve()
	o.Totals = o.Totals.resolve(o.Limits)
	return o, nil
}

func defaultTitle() string {
	if exe, err := os.Executable(); err == nil {
		return filepath.Base(exe)
	}
	if len(os.Args) > 0 {
		return filepath.Base(os.Args[0])
	}
	return "go"
}
