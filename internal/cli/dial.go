package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/jstrace-go/jstrace/internal/client"
)

// Environment variables of the CLI's TLS settings.
// (The agent's own certificate is JSTRACE_TLS_CERT and JSTRACE_TLS_KEY:
// the CLI's are named apart, so one shell can hold both.)
const (
	EnvTLSCA   = "JSTRACE_TLS_CA"
	EnvTLSCert = "JSTRACE_CLIENT_CERT"
	EnvTLSKey  = "JSTRACE_CLIENT_KEY"
)

// tlsConfig builds the client TLS configuration from the flags, or nil if
// TLS is not asked for: --tls-ca (the CA that signed the agents'
// certificates; default: the system's roots), --tls-cert and --tls-key (a
// client certificate, for agents that require one), --tls-server-name.
func (f *flags) tlsConfig() (*tls.Config, error) {
	if !f.tls && f.tlsCA == "" && f.tlsCert == "" && f.tlsKey == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.tlsServerName}
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-ca: %w", err))
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-ca: no certificate in %s", f.tlsCA))
		}
	}
	if f.tlsCert != "" || f.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-cert/--tls-key: %w", err))
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// dialOptions says how to reach one candidate: the token, the secret of its
// discovery entry, TLS if the flags or the entry ask for it.
func dialOptions(f *flags, tlsConf *tls.Config, c candidate) client.Options {
	o := client.Options{Token: f.token, TLS: tlsConf}
	if c.entry != nil && c.entry.Secret != "" {
		// A local agent: its secret proves who we are, and the token is
		// kept from whatever now listens at an address a stale entry
		// names.
		o.Secret, o.Token = c.entry.Secret, ""
	}
	if c.entry != nil {
		if c.entry.TLS && o.TLS == nil {
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	return o
}
