package jstracehttp

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
)

// A hijackedConn is a hijacked connection that fires asyncEnd when closed.
// NetConn returns the connection it wraps (as crypto/tls.Conn's does).
// Through wrapConn it keeps the optional methods of the connections
// net/http hijacks: a TCP connection's CloseWrite, CloseRead, ReadFrom
// and WriteTo (so io.Copy still uses sendfile or splice), a TLS
// connection's ConnectionState and CloseWrite, a Unix connection's
// CloseWrite and CloseRead. A type assertion to the concrete type
// (c.(*net.TCPConn)) sees the wrapper: NetConn returns the original.
// Like the connection it wraps, it is safe for concurrent use.
type hijackedConn struct {
	net.Conn
	once sync.Once
	end  func()
}

func (c *hijackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.end)
	return err
}

// NetConn returns the connection net/http's Hijack returned.
func (c *hijackedConn) NetConn() net.Conn { return c.Conn }

// The optional methods, one carrier type each, as for the writer.
type (
	closeWriter    struct{ *hijackedConn }
	closeReader    struct{ *hijackedConn }
	connReaderFrom struct{ *hijackedConn }
	connWriterTo   struct{ *hijackedConn }
	connStater     struct{ *hijackedConn }
)

func (c closeWriter) CloseWrite() error {
	return c.Conn.(interface{ CloseWrite() error }).CloseWrite()
}

func (c closeReader) CloseRead() error {
	return c.Conn.(interface{ CloseRead() error }).CloseRead()
}

func (c connReaderFrom) ReadFrom(r io.Reader) (int64, error) {
	return c.Conn.(io.ReaderFrom).ReadFrom(r)
}

func (c connWriterTo) WriteTo(w io.Writer) (int64, error) {
	return c.Conn.(io.WriterTo).WriteTo(w)
}

func (c connStater) ConnectionState() tls.ConnectionState {
	return c.Conn.(interface{ ConnectionState() tls.ConnectionState }).ConnectionState()
}

// wrapConn returns c with the optional methods of the connection it
// wraps, for the kinds of connection net/http hijacks (a connection
// with only some of a kind's methods gets none of them).
func wrapConn(c *hijackedConn) net.Conn {
	_, cw := c.Conn.(interface{ CloseWrite() error })
	_, cr := c.Conn.(interface{ CloseRead() error })
	_, rf := c.Conn.(io.ReaderFrom)
	_, wt := c.Conn.(io.WriterTo)
	_, cs := c.Conn.(interface{ ConnectionState() tls.ConnectionState })
	switch {
	case cw && cr && rf && wt: // *net.TCPConn
		return struct {
			*hijackedConn
			closeWriter
			closeReader
			connReaderFrom
			connWriterTo
		}{c, closeWriter{c}, closeReader{c}, connReaderFrom{c}, connWriterTo{c}}
	case cw && cs: // *tls.Conn
		return struct {
			*hijackedConn
			closeWriter
			connStater
		}{c, closeWriter{c}, connStater{c}}
	case cw && cr: // *net.UnixConn
		return struct {
			*hijackedConn
			closeWriter
			closeReader
		}{c, closeWriter{c}, closeReader{c}}
	}
	return c
}
