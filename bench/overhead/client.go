package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// client sends GET requests over one keep-alive HTTP/1.1 connection and
// reads the responses with as little work as it can: on a small machine the
// load generator shares the host with the service, and net/http's client
// costs more per request than the service under test, so it, not the
// service, would set the latency measured. It is used by one goroutine.
type client struct {
	addr string
	req  []byte
	conn net.Conn
	r    *bufio.Reader
}

func newClient(addr, path string) *client {
	return &client{addr: addr, req: []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")}
}

// get sends one request and reads its response, dialling first if need be.
// It reports transport and protocol errors, not the status: the service's
// error responses are part of its normal load.
func (c *client) get() error {
	if err := c.connect(); err != nil {
		return err
	}
	c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err := c.conn.Write(c.req)
	if err == nil {
		err = c.response()
	}
	if err != nil {
		c.close()
	}
	return err
}

// connect dials, unless connected.
func (c *client) connect() error {
	if c.conn != nil {
		return nil
	}
	conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
	return nil
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.r = nil, nil
	}
}

var errResponse = errors.New("malformed response")

// response reads a response: its head, then a body of Content-Length bytes
// or chunks.
func (c *client) response() error {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return fmt.Errorf("%w: status line %q", errResponse, line)
	}
	length, chunked, closing := -1, false, false
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return fmt.Errorf("%w: header %q", errResponse, line)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return fmt.Errorf("%w: %q", errResponse, line)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = c.chunks()
	case length >= 0:
		_, err = c.r.Discard(length)
	default:
		return fmt.Errorf("%w: no length", errResponse)
	}
	if err == nil && closing {
		c.close()
	}
	return err
}

// chunks reads a chunked body and its (empty) trailer.
func (c *client) chunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 32)
		if err != nil {
			return fmt.Errorf("%w: chunk size %q", errResponse, line)
		}
		if _, err := c.r.Discard(int(n) + 2); n > 0 && err != nil {
			return err
		}
		if n == 0 {
			return nil // the CRLF after the last chunk ends an empty trailer
		}
	}
}
