package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Environment variables read by the CLI, after parsing and only for the
// flags not given (see ConnectOptions.fromEnv).
const (
	EnvAgents = "JSTRACE_AGENTS"
	EnvToken  = "JSTRACE_TOKEN"
	// The CLI's TLS settings. (The agent's own certificate is
	// JSTRACE_TLS_CERT and JSTRACE_TLS_KEY: the CLI's are named apart, so
	// one shell can hold both.)
	EnvTLSCA   = "JSTRACE_TLS_CA"
	EnvTLSCert = "JSTRACE_CLIENT_CERT"
	EnvTLSKey  = "JSTRACE_CLIENT_KEY"
)

// ConnectOptions are the flags of the commands that talk to agents (trace
// and ls): which agents, and how to reach them. The zero value selects
// every agent of the local run directory, over plain TCP, without a token.
type ConnectOptions struct {
	// PID (-p) selects the process with this pid. Default 0: any.
	PID int
	// Title (-t) selects processes whose title matches this glob.
	// Default "": any.
	Title string
	// Host (-H) selects processes whose hostname matches this glob.
	// Default "": any.
	Host string
	// Agents (--agents, $JSTRACE_AGENTS) are agent addresses, host:port or
	// unix:path, used instead of local discovery; a name expands to all its
	// addresses. Default: none, local discovery.
	Agents []string
	// Token (--token, $JSTRACE_TOKEN) is the agents' token. Default "":
	// none (local agents are reached with their discovery secret).
	Token string
	// TLS (--tls) connects with TLS, verifying agents with the system's
	// roots; any other TLS field implies it. Default false: plain TCP,
	// unless a discovery entry says the agent serves TLS.
	TLS bool
	// TLSCA (--tls-ca, $JSTRACE_TLS_CA) is the CA certificate file that
	// signed the agents' certificates. Default "": the system's roots.
	TLSCA string
	// TLSCert and TLSKey (--tls-cert, --tls-key, $JSTRACE_CLIENT_CERT,
	// $JSTRACE_CLIENT_KEY) are a client certificate and its key, for agents
	// that require one. Default "": none.
	TLSCert, TLSKey string
	// TLSServerName (--tls-server-name) is the name verified in the agents'
	// certificates. Default "": the host dialled.
	TLSServerName string
	// Raw (--raw) prints what agents send as it comes, control characters
	// included. Default false: escaped for the terminal.
	Raw bool
}

// addConnectFlags binds the flags of o to c. No flag's default comes from
// the environment: fromEnv reads it after parsing.
func addConnectFlags(c *cobra.Command, o *ConnectOptions) {
	fs := c.Flags()
	fs.IntVarP(&o.PID, "pid", "p", 0, "select the process with this pid")
	fs.StringVarP(&o.Title, "title", "t", "", "select processes whose title matches this glob")
	fs.StringVarP(&o.Host, "host", "H", "", "select processes whose hostname matches this glob")
	fs.StringSliceVar(&o.Agents, "agents", nil, "agent addresses host:port, comma-separated, instead of local discovery; a name expands to all its addresses (env "+EnvAgents+")")
	fs.StringVar(&o.Token, "token", "", "token of the agents (env "+EnvToken+")")
	fs.BoolVar(&o.TLS, "tls", false, "connect with TLS, verifying agents with the system's roots (implied by the other --tls flags)")
	fs.StringVar(&o.TLSCA, "tls-ca", "", "CA certificate that signed the agents' certificates (env "+EnvTLSCA+")")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "client certificate, for agents that require one (env "+EnvTLSCert+")")
	fs.StringVar(&o.TLSKey, "tls-key", "", "key of the client certificate (env "+EnvTLSKey+")")
	fs.BoolVar(&o.Raw, "raw", false, "print what agents send (console output, names, messages) as it comes, control characters included: only for agents you trust with your terminal")
	fs.StringVar(&o.TLSServerName, "tls-server-name", "", "name to verify in the agents' certificates (default: the host dialled)")
}

// fromEnv fills the options that have an environment variable and whose
// flag was not given on the command line. It runs after parsing, never as
// the flags' defaults, so that a token (or a key's path) in the
// environment never appears in --help, in usage errors or in a bug
// report's paste.
func (o *ConnectOptions) fromEnv(cmd *cobra.Command) {
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"token", EnvToken, &o.Token},
		{"tls-ca", EnvTLSCA, &o.TLSCA},
		{"tls-cert", EnvTLSCert, &o.TLSCert},
		{"tls-key", EnvTLSKey, &o.TLSKey},
	} {
		if !cmd.Flags().Changed(e.flag) {
			*e.dst = os.Getenv(e.env)
		}
	}
	if !cmd.Flags().Changed("agents") {
		o.Agents = splitList(os.Getenv(EnvAgents))
	}
}

// selector compiles the selection flags.
func (o *ConnectOptions) selector() (*selector, error) {
	return newSelector(o.PID, o.Title, o.Host, o.Agents)
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
