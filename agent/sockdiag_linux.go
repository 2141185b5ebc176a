//go:build linux

package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// The owner of a loopback TCP peer's socket, asked of the kernel by its
// four addresses (sock_diag, as ss does), which looks the one socket up in
// its hash tables. Reading /proc/net/tcp instead makes the kernel format
// every TCP socket of the namespace as text: ~50 ms of the service's CPU
// per connection on a host with 73,000 sockets (mostly TIME_WAIT, from a
// load test), and whoever can connect to the agent's port could ask for
// that as often as it likes. The table is read only where sock_diag is
// not available (a seccomp filter, a kernel without it).

const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgHdrLen      = 16
	diagReqLen       = 56 // struct inet_diag_req_v2
	diagMsgLen       = 72 // struct inet_diag_msg
	tcpEstablished   = 1
)

// diagOwner returns the uid owning the established TCP socket whose local
// address is peer and remote address local, and whether there is one. err
// is not nil when the kernel could not be asked.
//
// "No such socket" is the kernel's ENOENT, which it also answers when it
// has no handler for TCP (inet_diag not built, or its module not
// loadable): then the agent's own end of the connection, which exists, is
// not found either, and the kernel counts as not asked.
func diagOwner(peer, local *net.TCPAddr) (uid int, found bool, err error) {
	family, src, dst := uint8(syscall.AF_INET), peer.IP.To4(), local.IP.To4()
	if src == nil || dst == nil {
		family, src, dst = syscall.AF_INET6, peer.IP.To16(), local.IP.To16()
	}
	if src == nil || dst == nil {
		return 0, false, errors.New("not an IP address")
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return 0, false, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer syscall.Close(fd)
	// The kernel answers at once; a bound keeps a connection's handshake
	// from waiting on it whatever happens.
	tv := syscall.Timeval{Sec: 1}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return 0, false, fmt.Errorf("sock_diag timeout: %w", err)
	}
	uid, found, exists, err := diagAsk(fd, diagRequest(family, src, uint16(peer.Port), dst, uint16(local.Port), 1))
	if err != nil || exists {
		return uid, found, err
	}
	if _, _, ours, err := diagAsk(fd, diagRequest(family, dst, uint16(local.Port), src, uint16(peer.Port), 2)); err != nil || !ours {
		return 0, false, errors.New("sock_diag does not find the agent's own socket")
	}
	return 0, false, nil
}

// diagAsk sends req and reads the kernel's answer. Only the kernel's
// messages count (sender port 0: another process with the rights to
// could send to this socket), and only the answer to req (its sequence
// number, and for a socket its addresses); it reads past a few others.
func diagAsk(fd int, req []byte) (uid int, found, exists bool, err error) {
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, false, false, fmt.Errorf("sock_diag request: %w", err)
	}
	var buf [512]byte // one message, or an error with the request quoted
	for range 8 {
		n, from, err := syscall.Recvfrom(fd, buf[:], 0)
		if err != nil {
			return 0, false, false, fmt.Errorf("sock_diag answer: %w", err)
		}
		if nl, ok := from.(*syscall.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue
		}
		if uid, found, exists, err := parseDiag(buf[:n], req); !errors.Is(err, errNotOurs) {
			return uid, found, exists, err
		}
	}
	return 0, false, false, errors.New("sock_diag: no answer among the messages read")
}

// diagRequest is a netlink message asking for one TCP socket by its
// addresses (struct inet_diag_req_v2, no extensions, any state, any
// cookie).
func diagRequest(family uint8, src []byte, sport uint16, dst []byte, dport uint16, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagReqLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(b[6:], syscall.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = family, syscall.IPPROTO_TCP
	binary.NativeEndian.PutUint32(r[4:], ^uint32(0)) // every state
	id := r[8:]                                      // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], sport)
	binary.BigEndian.PutUint16(id[2:], dport)
	copy(id[4:20], src)
	copy(id[20:36], dst)
	binary.NativeEndian.PutUint32(id[40:], ^uint32(0)) // INET_DIAG_NOCOOKIE
	binary.NativeEndian.PutUint32(id[44:], ^uint32(0))
	return b
}

// errNotOurs is parseDiag's error for a message that does not answer the
// request.
var errNotOurs = errors.New("sock_diag message answers another request")

// parseDiag reads the kernel's answer to req (diagRequest): whether the
// socket exists, in any state, and its owner if it is established and
// still has an inode (found; a socket its process has closed lingers,
// TIME_WAIT or FIN_WAIT2, owned by uid 0).
func parseDiag(b, req []byte) (uid int, found, exists bool, err error) {
	if len(b) < nlmsgHdrLen {
		return 0, false, false, fmt.Errorf("sock_diag answer of %d bytes", len(b))
	}
	n := binary.NativeEndian.Uint32(b[0:])
	if n < nlmsgHdrLen || int64(n) > int64(len(b)) {
		return 0, false, false, fmt.Errorf("sock_diag message of %d bytes in %d", n, len(b))
	}
	if binary.NativeEndian.Uint32(b[8:]) != binary.NativeEndian.Uint32(req[8:]) {
		return 0, false, false, errNotOurs
	}
	body := b[nlmsgHdrLen:n]
	switch typ := binary.NativeEndian.Uint16(b[4:]); typ {
	case syscall.NLMSG_ERROR:
		if len(body) < 4 {
			return 0, false, false, errors.New("sock_diag error without its code")
		}
		errno := syscall.Errno(-int32(binary.NativeEndian.Uint32(body)))
		if errno == syscall.ENOENT {
			return 0, false, false, nil
		}
		return 0, false, false, fmt.Errorf("sock_diag: %w", errno)
	case sockDiagByFamily:
		if len(body) < diagMsgLen {
			return 0, false, false, fmt.Errorf("sock_diag socket of %d bytes", len(body))
		}
		// The socket's ports and addresses, as asked (struct
		// inet_diag_sockid, after the message's first four bytes).
		if string(body[4:40]) != string(req[nlmsgHdrLen+8:nlmsgHdrLen+44]) {
			return 0, false, false, errNotOurs
		}
		state, owner, inode := body[1], binary.NativeEndian.Uint32(body[64:]), binary.NativeEndian.Uint32(body[68:])
		if state != tcpEstablished || inode == 0 {
			return 0, false, true, nil
		}
		return int(owner), true, true, nil
	default:
		return 0, false, false, fmt.Errorf("sock_diag message of type %d", typ)
	}
}
