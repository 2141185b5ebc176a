package agent

import (
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"net"
	"os"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// authenticate decides whether the peer of c, which sent hello, may attach,
// and says how it proved it (for the log). See docs/protocol.md, "Control stream".
func (a *Agent) authenticate(hello *protocol.Hello, c net.Conn) (string, error) {
	if a.secret != "" && equal(hello.Secret, a.secret) {
		return "discovery secret", nil
	}
	if a.opts.Token != "" {
		if equal(hello.Token, a.opts.Token) {
			return "token", nil
		}
	}
	if tc, ok := c.(*tls.Conn); ok && clientCertsRequired(a.opts.TLS) && len(tc.ConnectionState().VerifiedChains) > 0 {
		return "client certificate", nil
	}
	if a.opts.Token == "" {
		if uid, unixSocket, ok := peerUID(c); ok && (uid == os.Geteuid() || (unixSocket && uid == 0)) {
			return "peer uid", nil
		}
		if a.opts.Insecure {
			return "none (insecure)", nil
		}
	}
	if a.opts.Token != "" {
		return "", errors.New("wrong or missing token")
	}
	return "", errors.New("not this agent's user: use jstrace as the user running the process, or give the agent a token")
}

func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
