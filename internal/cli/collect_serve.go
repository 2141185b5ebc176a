package cli

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/collector"
)

// startServers starts the HTTP receiver (--listen) and the web page
// (--http) that were asked for, and says where on stderr.
func (c *collection) startServers() error {
	if c.opts.Listen != "" {
		addr, err := c.serve("--listen", c.opts.Listen, func(net.Addr) http.Handler { return &collector.Receiver{Writer: c.writer} })
		if err != nil {
			return err
		}
		c.out.errorf("receiving spans at http://%s%s (jstrace) and %s (OTLP/HTTP protobuf)", addr, collector.PathSpans, collector.PathTraces)
		if ip := addr.(*net.TCPAddr).IP; !ip.IsLoopback() {
			c.out.errorf("warning: --listen %s takes spans from anyone who reaches it, without authentication", addr)
		}
	}
	if c.opts.HTTP != "" {
		addr, err := c.serve("--http", c.opts.HTTP, func(addr net.Addr) http.Handler { return pageHandler(c.store, addr) })
		if err != nil {
			return err
		}
		c.out.errorf("web page of the stored traces at http://%s/", addr)
	}
	return nil
}

// serve serves the handler h returns for the address it listens on, at
// addr (the value of flag), from a goroutine of its own, until
// stopServers.
func (c *collection) serve(flag, addr string, h func(net.Addr) http.Handler) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	srv := &http.Server{
		Handler:           h(ln.Addr()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       20 * time.Second, // a slow sender holds one of the receiver's 8 slots no longer
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(errorfWriter{c.out}, "", 0),
	}
	c.servers = append(c.servers, srv)
	go srv.Serve(ln)
	return ln.Addr(), nil
}

// stopServers lets the requests under way finish, within httpStopTimeout,
// and refuses new ones.
func (c *collection) stopServers() {
	ctx, cancel := context.WithTimeout(context.Background(), httpStopTimeout)
	defer cancel()
	for _, srv := range c.servers {
		srv.Shutdown(ctx)
	}
	c.servers = nil
}

// errorfWriter writes the HTTP servers' messages as the CLI's own.
type errorfWriter struct{ out *output }

func (w errorfWriter) Write(p []byte) (int, error) {
	w.out.errorf("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// pageHosts are the names the web page answers to besides loopback ones
// (webui.Options.Hosts): the address it listens on and, listening on
// every interface, the machine's name and addresses.
func pageHosts(addr net.Addr) []string {
	ip := addr.(*net.TCPAddr).IP
	if !ip.IsUnspecified() {
		return []string{ip.String()}
	}
	var hosts []string
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	if as, err := net.InterfaceAddrs(); err == nil {
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	return hosts
}
