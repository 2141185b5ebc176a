package cli

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/collector"
)

// startServers starts the HTTP receiver (--listen) and the web page
// (--http) that were asked for, and says where on stderr.
func (c *collection) startServers() error {
	if c.opts.Listen != "" {
		addr, err := c.serve("--listen", c.opts.Listen, &collector.Receiver{Writer: c.writer})
		if err != nil {
			return err
		}
		c.out.errorf("receiving spans at http://%s%s (jstrace) and %s (OTLP/HTTP protobuf)", addr, collector.PathSpans, collector.PathTraces)
		if ip := addr.(*net.TCPAddr).IP; !ip.IsLoopback() {
			c.out.errorf("warning: --listen %s takes spans from anyone who reaches it, without authentication", addr)
		}
	}
	if c.opts.HTTP != "" {
		addr, err := c.serve("--http", c.opts.HTTP, pageHandler(c.store))
		if err != nil {
			return err
		}
		c.out.errorf("web page of the stored traces at http://%s/", addr)
	}
	return nil
}

// serve serves h at addr (the value of flag) from a goroutine of its own,
// until stopServers.
func (c *collection) serve(flag, addr string, h http.Handler) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
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
