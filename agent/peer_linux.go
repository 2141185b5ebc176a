//go:build linux

package agent

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// peerUID returns the uid of the process at the other end of c, when the
// kernel can tell: SO_PEERCRED for a Unix socket; for a loopback TCP
// connection, the owner of the peer's socket, asked of sock_diag
// (sockdiag_linux.go), or where it cannot be asked found in
// /proc/net/tcp{,6}, the way Delve authenticates its local clients.
// unixSocket says which it was: only a Unix socket's uid 0 means root.
func peerUID(c net.Conn) (uid int, unixSocket bool, ok bool) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	switch c := c.(type) {
	case *net.UnixConn:
		raw, err := c.SyscallConn()
		if err != nil {
			return 0, false, false
		}
		var cred *syscall.Ucred
		raw.Control(func(fd uintptr) {
			cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		})
		if err != nil || cred == nil {
			return 0, false, false
		}
		return int(cred.Uid), true, true
	case *net.TCPConn:
		peer, ok1 := c.RemoteAddr().(*net.TCPAddr)
		local, ok2 := c.LocalAddr().(*net.TCPAddr)
		if !ok1 || !ok2 || !peer.IP.IsLoopback() {
			return 0, false, false
		}
		if uid, found, err := diagOwner(peer, local); err == nil {
			return uid, false, found
		}
		for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			if uid, ok := socketOwner(table, peer, local); ok {
				return uid, false, true
			}
		}
	}
	return 0, false, false
}

// socketOwner finds the socket from local to remote in a /proc/net/tcp
// table and returns its owner's uid.
func socketOwner(table string, local, remote *net.TCPAddr) (int, bool) {
	f, err := os.Open(table)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	wantLocal, wantRemote := procAddr(local, table), procAddr(remote, table)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local remote st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[1] != wantLocal || fields[2] != wantRemote {
			continue
		}
		// Only a live socket still belongs to its process: once closed,
		// it lingers in TIME_WAIT or FIN_WAIT2 owned by uid 0, inode 0.
		if fields[3] != "01" || fields[9] == "0" { // ESTABLISHED
			return 0, false
		}
		uid, err := strconv.Atoi(fields[7])
		return uid, err == nil
	}
	return 0, false
}

// procAddr formats an address as /proc/net/tcp{,6} does: the address as
// native-endian 32-bit words in hex, a colon, the port in hex.
func procAddr(a *net.TCPAddr, table string) string {
	ip := a.IP.To4()
	if strings.HasSuffix(table, "6") {
		ip = a.IP.To16()
	}
	if ip == nil {
		return ""
	}
	words := make([]byte, len(ip))
	for i := 0; i < len(ip); i += 4 {
		binary.NativeEndian.PutUint32(words[i:], binary.BigEndian.Uint32(ip[i:]))
	}
	return strings.ToUpper(hex.EncodeToString(words)) + fmt.Sprintf(":%04X", a.Port)
}
