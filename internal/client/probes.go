package client

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Probes asks the agent for its probe catalogue, sampled for req.Window:
// every registered probe matching req.Patterns with its hits in the window
// and the fields seen. At most jstrace.MaxProbes probes are kept, whatever
// the agent sends. An agent that predates it answers ErrNoDump. A Conn
// carries one request.
func (c *Conn) Probes(req *protocol.ProbesRequest) ([]protocol.ProbeInfo, time.Duration, error) {
	var list protocol.ProbeList
	timeout := req.Window + attachTimeout
	if err := c.request(protocol.FrameProbesRequest, req, protocol.FrameProbeList, &list, timeout); err != nil {
		return nil, 0, err
	}
	probes := list.Probes
	for list.More {
		if err := c.expect(protocol.FrameProbeList, &list); err != nil {
			return nil, 0, err
		}
		probes = append(probes, list.Probes...)
		if len(probes) > jstrace.MaxProbes {
			return nil, 0, fmt.Errorf("%s: %w: more than %d probes", c.Addr, protocol.ErrMalformed, jstrace.MaxProbes)
		}
	}
	return probes, list.Window, nil
}
