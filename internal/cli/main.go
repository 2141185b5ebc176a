// Package cli implements the jstrace command.
package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace"
)

// Environment variables read by the CLI.
const (
	EnvAgents = "JSTRACE_AGENTS"
	EnvToken  = "JSTRACE_TOKEN"
)

// flags are the options shared by the commands.
type flags struct {
	pid      int
	title    string
	host     string
	agents   []string
	token    string
	duration time.Duration
	verbose  bool
	wait     bool
	probes   bool
	raw      bool

	tls           bool
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsServerName string
}

// Main runs jstrace with os.Args and returns the process's exit code:
//
//	func main() { os.Exit(cli.Main()) }
func Main() int {
	return Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs jstrace with args and returns its exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := &output{stdout: stdout, stderr: stderr}
	root := newRoot(ctx, out)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err != nil {
		out.errorf("%v", err)
		if exitCode(err) == ExitUsage {
			out.write(stderr, "Run 'jstrace --help' for usage.\n")
		}
	}
	return exitCode(err)
}

func newRoot(ctx context.Context, out *output) *cobra.Command {
	f := &flags{}
	root := &cobra.Command{
		Use:   "jstrace [flags] <script.go>",
		Short: "Dynamic tracing for live Go services",
		Long: `jstrace runs a Go script against the probes of live Go processes.

The script's Remote function runs inside every matching process (each
embeds the jstrace agent), its Local function runs here and receives what
the remotes emit, plus raw traces. Processes are found in the local run
directory, or at --agents addresses, and filtered by -p, -t and -H.

Exit codes: 0 ended normally, 1 error, 2 usage, 3 no agent matched,
4 script error (did not load, or stopped by an agent's limits), 5 could
not attach (unreachable, token, version), 6 every agent went away,
130 interrupted twice.`,
		Example: `  jstrace -t 'api*' examples/scripts/response-duration.go
  jstrace -p 1234 --duration 10s examples/scripts/status-bars.go
  jstrace --agents api.default.svc:7070 -H 'api-*' script.go
  jstrace ls`,
		Version:       jstrace.Version,
		Args:          cobra.ExactArgs(1),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.fromEnv(cmd)
			return trace(ctx, f, out, args[0])
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(ExitUsage, err) })
	root.Flags().BoolP("version", "V", false, "print the version and exit")
	root.Flags().DurationVar(&f.duration, "duration", 0, "end the session after this long, as Ctrl-C would")
	root.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "report agents joining and leaving, and drop counts every second")
	root.Flags().BoolVar(&f.wait, "wait", false, "wait for a matching agent instead of failing when there is none")
	selectionFlags(root, f)

	ls := &cobra.Command{
		Use:   "ls",
		Short: "List reachable agents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.fromEnv(cmd)
			return list(ctx, f, out)
		},
	}
	ls.Flags().BoolVar(&f.probes, "probes", false, "also list each agent's probes")
	selectionFlags(ls, f)
	root.AddCommand(ls)

	// Usage errors from argument validation get the usage exit code.
	for _, c := range []*cobra.Command{root, ls} {
		validate := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			return withCode(ExitUsage, validate(cmd, args))
		}
	}
	return root
}

func selectionFlags(c *cobra.Command, f *flags) {
	c.Flags().IntVarP(&f.pid, "pid", "p", 0, "select the process with this pid")
	c.Flags().StringVarP(&f.title, "title", "t", "", "select processes whose title matches this glob")
	c.Flags().StringVarP(&f.host, "host", "H", "", "select processes whose hostname matches this glob")
	c.Flags().StringSliceVar(&f.agents, "agents", nil, "agent addresses host:port, comma-separated, instead of local discovery; a name expands to all its addresses (env "+EnvAgents+")")
	c.Flags().StringVar(&f.token, "token", "", "token of the agents (env "+EnvToken+")")
	c.Flags().BoolVar(&f.tls, "tls", false, "connect with TLS, verifying agents with the system's roots (implied by the other --tls flags)")
	c.Flags().StringVar(&f.tlsCA, "tls-ca", "", "CA certificate that signed the agents' certificates (env "+EnvTLSCA+")")
	c.Flags().StringVar(&f.tlsCert, "tls-cert", "", "client certificate, for agents that require one (env "+EnvTLSCert+")")
	c.Flags().StringVar(&f.tlsKey, "tls-key", "", "key of the client certificate (env "+EnvTLSKey+")")
	c.Flags().BoolVar(&f.raw, "raw", false, "print what agents send (console output, names, messages) as it comes, control characters included: only for agents you trust with your terminal")
	c.Flags().StringVar(&f.tlsServerName, "tls-server-name", "", "name to verify in the agents' certificates (default: the host dialled)")
}

// fromEnv fills the flags that have an environment variable and were not
// given on the command line. It runs after parsing, never as the flags'
// defaults, so that a token (or a key's path) in the environment never
// appears in --help, in usage errors or in a bug report's paste.
func (f *flags) fromEnv(cmd *cobra.Command) {
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"token", EnvToken, &f.token},
		{"tls-ca", EnvTLSCA, &f.tlsCA},
		{"tls-cert", EnvTLSCert, &f.tlsCert},
		{"tls-key", EnvTLSKey, &f.tlsKey},
	} {
		if !cmd.Flags().Changed(e.flag) {
			*e.dst = os.Getenv(e.env)
		}
	}
	if !cmd.Flags().Changed("agents") {
		f.agents = splitList(os.Getenv(EnvAgents))
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// errInterrupted is returned when a second Ctrl-C cuts a session's end.
var errInterrupted = errors.New("interrupted")
