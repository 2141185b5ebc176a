package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/jstrace-go/jstrace/internal/client"
)

// tlsConfig builds the client TLS configuration from the flags, or nil if
// TLS is not asked for: --tls-ca (the CA that signed the agents'
// certificates; default: the system's roots), --tls-cert and --tls-key (a
// client certificate, for agents that require one), --tls-server-name.
func (o *ConnectOptions) tlsConfig() (*tls.Config, error) {
	if !o.TLS && o.TLSCA == "" && o.TLSCert == "" && o.TLSKey == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLSServerName}
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-ca: %w", err))
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-ca: no certificate in %s", o.TLSCA))
		}
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--tls-cert/--tls-key: %w", err))
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// dialOptions says how to reach one candidate: the token, the secret of its
// discovery entry, TLS if the flags or the entry ask for it.
func (co *ConnectOptions) dialOptions(tlsConf *tls.Config, c candidate) client.Options {
	o := client.Options{Token: co.Token, TLS: tlsConf}
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
