// Package nettest has connection helpers for tests of the protocol's ends:
// a loopback TCP pair, and a connection that counts its writes.
package nettest

import (
	"net"
	"sync/atomic"
	"testing"
)

// TCPPair returns the two ends of a loopback TCP connection, closed when
// the test ends.
func TCPPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		client.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// CountingConn counts the writes to a connection. Its methods may be
// called from any goroutine, as the connection's.
type CountingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *CountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// Writes returns how many writes there have been.
func (c *CountingConn) Writes() int64 { return c.writes.Load() }
