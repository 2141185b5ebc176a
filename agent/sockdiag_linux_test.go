//go:build linux

package agent

import (
	"encoding/binary"
	"errors"
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

// testReq is the request the answers below answer.
var testReq = diagRequest(syscall.AF_INET, []byte{127, 0, 0, 1}, 40000, []byte{127, 0, 0, 1}, 7777, 7)

// diagMessage is an answer of the kernel's shape to testReq: a socket in
// state, owned by uid, with inode.
func diagMessage(state uint8, uid, inode uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagMsgLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], sockDiagByFamily)
	copy(b[8:12], testReq[8:12]) // sequence
	m := b[nlmsgHdrLen:]
	m[0], m[1] = syscall.AF_INET, state
	copy(m[4:52], testReq[nlmsgHdrLen+8:])
	binary.NativeEndian.PutUint32(m[64:], uid)
	binary.NativeEndian.PutUint32(m[68:], inode)
	return b
}

func diagError(errno syscall.Errno) []byte {
	b := make([]byte, nlmsgHdrLen+4+nlmsgHdrLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], syscall.NLMSG_ERROR)
	copy(b[8:12], testReq[8:12])
	binary.NativeEndian.PutUint32(b[nlmsgHdrLen:], uint32(-int32(errno)))
	return b
}

// edit returns a copy of b changed by f.
func edit(b []byte, f func([]byte)) []byte {
	b = append([]byte(nil), b...)
	f(b)
	return b
}

func TestParseDiag(t *testing.T) {
	ok := diagMessage(tcpEstablished, 1000, 42)
	tests := []struct {
		name          string
		b             []byte
		uid           int
		found, exists bool
		err           error // errNotOurs, errAny or nil
	}{
		{"established", ok, 1000, true, true, nil},
		{"root, established", diagMessage(tcpEstablished, 0, 42), 0, true, true, nil},
		{"time-wait", diagMessage(6, 0, 0), 0, false, true, nil},
		{"closed by its process", diagMessage(5, 0, 0), 0, false, true, nil},
		{"established without inode", diagMessage(tcpEstablished, 0, 0), 0, false, true, nil},
		{"no such socket", diagError(syscall.ENOENT), 0, false, false, nil},
		{"refused", diagError(syscall.EPERM), 0, false, false, errAny},
		{"another sequence", edit(ok, func(b []byte) { b[8]++ }), 0, false, false, errNotOurs},
		{"another socket", edit(ok, func(b []byte) { b[nlmsgHdrLen+4]++ }), 0, false, false, errNotOurs},
		{"another sequence's error", edit(diagError(syscall.ENOENT), func(b []byte) { b[8]++ }), 0, false, false, errNotOurs},
		{"cut", ok[:40], 0, false, false, errAny},
		{"socket too short for its kind", edit(ok[:nlmsgHdrLen+40], func(b []byte) { binary.NativeEndian.PutUint32(b, uint32(len(b))) }), 0, false, false, errAny},
		{"header only", ok[:nlmsgHdrLen-1], 0, false, false, errAny},
		{"empty", nil, 0, false, false, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, found, exists, err := parseDiag(tt.b, testReq)
			if uid != tt.uid || found != tt.found || exists != tt.exists || (err != nil) != (tt.err != nil) || tt.err == errNotOurs && !errors.Is(err, errNotOurs) {
				t.Fatalf("uid %d found %v exists %v err %v", uid, found, exists, err)
			}
		})
	}
}

// errAny stands for any error in TestParseDiag.
var errAny = errors.New("any error")

// Whatever the bytes, parseDiag answers without panicking, and finds a
// socket only in a whole message of the right type that answers testReq.
func FuzzParseDiag(f *testing.F) {
	f.Add(diagMessage(tcpEstablished, 1000, 42))
	f.Add(diagError(syscall.ENOENT))
	f.Add(diagError(syscall.EPERM))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, found, _, err := parseDiag(b, testReq)
		if found && (err != nil || len(b) < nlmsgHdrLen+diagMsgLen || binary.NativeEndian.Uint16(b[4:]) != sockDiagByFamily ||
			string(b[nlmsgHdrLen+4:nlmsgHdrLen+40]) != string(testReq[nlmsgHdrLen+8:nlmsgHdrLen+44])) {
			t.Fatalf("found in %x (err %v)", b, err)
		}
	})
}
