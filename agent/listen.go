package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// unixPrefix marks an Addr that is a Unix socket path: "unix:/run/app.sock".
const unixPrefix = "unix:"

// listen opens the agent's listener: TCP, or a Unix socket with mode 0600,
// wrapped in TLS if configured.
func listen(o Options) (net.Listener, error) {
	var ln net.Listener
	if path, ok := strings.CutPrefix(o.Addr, unixPrefix); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path) // a stale socket of a previous run
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		// Peers are authenticated by their uid anyway (SO_PEERCRED); the
		// mode keeps other users from even connecting.
		if err := os.Chmod(path, 0o600); err != nil {
			l.Close()
			return nil, err
		}
		ln = l
	} else {
		if err := checkExposure(o); err != nil {
			return nil, err
		}
		// No TCP keepalive on the connections accepted: the multiplexer
		// pings the CLI itself (internal/mux), and the handshake has its
		// deadline; TCP's would cost four system calls a connection.
		lc := net.ListenConfig{KeepAlive: -1}
		l, err := lc.Listen(context.Background(), "tcp", o.Addr)
		if err != nil {
			return nil, err
		}
		ln = l
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	return ln, nil
}

// addrString is the address as a local CLI dials it: for a listener on
// every interface, the loopback one.
func addrString(ln net.Listener) string {
	switch a := ln.Addr().(type) {
	case *net.UnixAddr:
		return unixPrefix + a.Name
	case *net.TCPAddr:
		if a.IP.IsUnspecified() {
			return net.JoinHostPort("127.0.0.1", fmt.Sprint(a.Port))
		}
	}
	return ln.Addr().String()
}

// errExposed is returned by Listen for a non-loopback address without a
// way to authenticate the CLI.
var errExposed = errors.New("refusing to listen beyond loopback without a token or TLS client certificates (set Options.Token, TLS with client authentication, or Insecure to accept anyone who can connect)")

// checkExposure refuses addresses reachable from other hosts unless the
// CLI must authenticate, or the embedding code said Insecure.
func checkExposure(o Options) error {
	if o.Insecure || o.Token != "" || clientCertsRequired(o.TLS) {
		return nil
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: %w", o.Addr, errExposed)
}

func clientCertsRequired(c *tls.Config) bool {
	return c != nil && c.ClientAuth == tls.RequireAndVerifyClientCert
}

// tlsFromEnv builds a TLS configuration from $JSTRACE_TLS_CERT,
// $JSTRACE_TLS_KEY and $JSTRACE_TLS_CLIENT_CA, or returns nil if they are
// not set.
func tlsFromEnv() (*tls.Config, error) {
	certFile, keyFile := os.Getenv(EnvTLSCert), os.Getenv(EnvTLSKey)
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvTLSCert, EnvTLSKey, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if caFile := os.Getenv(EnvTLSClientCA); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTLSClientCA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate in %s", EnvTLSClientCA, caFile)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}
