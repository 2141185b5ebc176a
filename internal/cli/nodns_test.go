package cli

import (
	"context"
	"net"
)

// Unit tests stay off the network: the system resolver is replaced by one
// that stops the test binary at the first DNS query (names in /etc/hosts,
// such as localhost, still resolve). A test that needs names injects a
// resolver (see selector.lookupHost).
func init() {
	net.DefaultResolver = &net.Resolver{
		PreferGo: true,
		Dial: func(_ context.Context, network, address string) (net.Conn, error) {
			panic("a unit test queried DNS (" + network + " " + address + "): inject a resolver")
		},
	}
}
