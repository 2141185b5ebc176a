package agent

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/nettest"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestAuthenticate(t *testing.T) {
	pipe, other := net.Pipe() // no peer identity: only secrets and tokens count
	defer pipe.Close()
	defer other.Close()
	tests := []struct {
		name     string
		token    string
		insecure bool
		hello    protocol.Hello
		want     string // how, or the error
	}{
		{"secret", "", false, protocol.Hello{Secret: "s"}, "discovery secret"},
		{"wrong secret", "", false, protocol.Hello{Secret: "x"}, "not this agent's user"},
		{"nothing", "", false, protocol.Hello{}, "not this agent's user"},
		{"token", "t", false, protocol.Hello{Token: "t"}, "token"},
		{"secret with a token set", "t", false, protocol.Hello{Secret: "s"}, "discovery secret"},
		{"wrong token", "t", false, protocol.Hello{Token: "u"}, "wrong or missing token"},
		{"insecure", "", true, protocol.Hello{}, "none (insecure)"},
		{"insecure does not waive a token", "t", true, protocol.Hello{}, "wrong or missing token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Agent{secret: "s", opts: Options{Token: tt.token, Insecure: tt.insecure}}
			how, err := a.authenticate(&tt.hello, pipe)
			got := how
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPeerUID(t *testing.T) {
	_, s := nettest.TCPPair(t)
	uid, _, ok := peerUID(s)
	if !ok {
		t.Skip("peer credentials not available on this platform")
	}
	if uid != os.Geteuid() {
		t.Fatalf("peer uid %d, want %d", uid, os.Geteuid())
	}
}

// A socket its owner has closed lingers in the kernel's table as uid 0:
// it must not count as root, nor as anyone.
func TestPeerUIDOfClosedSocket(t *testing.T) {
	c, s := nettest.TCPPair(t)
	c.Close()
	time.Sleep(50 * time.Millisecond)
	if uid, _, ok := peerUID(s); ok {
		t.Fatalf("the closed peer still authenticates as uid %d", uid)
	}
}

// The kernel answers sock_diag here (else the agent reads /proc/net/tcp,
// whose cost grows with every socket of the host), and says what the
// table says, for the peer's socket and for a closed one.
func TestSockDiagAgreesWithTable(t *testing.T) {
	c, s := nettest.TCPPair(t)
	peer, local := s.RemoteAddr().(*net.TCPAddr), s.LocalAddr().(*net.TCPAddr)
	uid, found, err := diagOwner(peer, local)
	if err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	want, wantOK := socketOwner("/proc/net/tcp", peer, local)
	if uid != want || found != wantOK || !found {
		t.Fatalf("sock_diag: uid %d found %v; /proc/net/tcp: uid %d found %v", uid, found, want, wantOK)
	}
	c.Close()
	time.Sleep(50 * time.Millisecond)
	if uid, found, err := diagOwner(peer, local); err != nil || found {
		t.Fatalf("closed peer: uid %d found %v err %v", uid, found, err)
	}
	// A pair of which neither end exists: the kernel's ENOENT for the
	// peer cannot be told from a kernel without TCP's handler, for the
	// agent's own end is not found either: not asked (the table is read).
	if _, found, err := diagOwner(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, local); err == nil || found {
		t.Fatalf("no such pair: found %v err %v", found, err)
	}
}
