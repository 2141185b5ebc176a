//go:build !linux

package agent

import "net"

// peerUID is not available on this platform: local peers authenticate with
// the discovery file's secret or a token.
func peerUID(c net.Conn) (uid int, unixSocket bool, ok bool) { return 0, false, false }
