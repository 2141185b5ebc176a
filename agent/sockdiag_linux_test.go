//go:build linux

package agent

import (
	"encoding/binary"
	"net"
	"os"
	"syscall"
	"testing"
)

// An IPv6 loopback pair is looked up as AF_INET6.
func TestSockDiagIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp6", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	uid, found, err := diagOwner(s.RemoteAddr().(*net.TCPAddr), s.LocalAddr().(*net.TCPAddr))
	if err != nil || !found || uid != os.Geteuid() {
		t.Fatalf("uid %d found %v err %v, want %d", uid, found, err, os.Geteuid())
	}
}

// diagMessage is an answer of the kernel's shape: a socket in state,
// owned by uid, with inode.
func diagMessage(state uint8, uid, inode uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagMsgLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], sockDiagByFamily)
	m := b[nlmsgHdrLen:]
	m[0], m[1] = syscall.AF_INET, state
	binary.NativeEndian.PutUint32(m[64:], uid)
	binary.NativeEndian.PutUint32(m[68:], inode)
	return b
}

func diagError(errno syscall.Errno) []byte {
	b := make([]byte, nlmsgHdrLen+4+nlmsgHdrLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], syscall.NLMSG_ERROR)
	binary.NativeEndian.PutUint32(b[nlmsgHdrLen:], uint32(-int32(errno)))
	return b
}

func TestParseDiag(t *testing.T) {
	tests := []struct {
		name  string
		b     []byte
		uid   int
		found bool
		err   bool
	}{
		{"established", diagMessage(tcpEstablished, 1000, 42), 1000, true, false},
		{"root, established", diagMessage(tcpEstablished, 0, 42), 0, true, false},
		{"time-wait", diagMessage(6, 0, 0), 0, false, false},
		{"closed by its process", diagMessage(5, 0, 0), 0, false, false},
		{"established without inode", diagMessage(tcpEstablished, 0, 0), 0, false, false},
		{"no such socket", diagError(syscall.ENOENT), 0, false, false},
		{"refused", diagError(syscall.EPERM), 0, false, true},
		{"short", diagMessage(tcpEstablished, 1000, 42)[:40], 0, false, true},
		{"length past the bytes", append(diagMessage(tcpEstablished, 1000, 42)[:4:4], 0, 0), 0, false, true},
		{"empty", nil, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, found, err := parseDiag(tt.b)
			if uid != tt.uid || found != tt.found || (err != nil) != tt.err {
				t.Fatalf("uid %d found %v err %v", uid, found, err)
			}
		})
	}
}

// Whatever the bytes, parseDiag answers without panicking, and finds a
// socket only in a whole message of the right type.
func FuzzParseDiag(f *testing.F) {
	f.Add(diagMessage(tcpEstablished, 1000, 42))
	f.Add(diagError(syscall.ENOENT))
	f.Add(diagError(syscall.EPERM))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, found, err := parseDiag(b)
		if found && (err != nil || len(b) < nlmsgHdrLen+diagMsgLen || binary.NativeEndian.Uint16(b[4:]) != sockDiagByFamily) {
			t.Fatalf("found in %x (err %v)", b, err)
		}
	})
}
