package agent

import (
	"fmt"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// reportOverflow tells the session's user, and the service's log, how many
// jstrace.Trace calls during the session were not delivered because their
// names came after the process's first jstrace.MaxProbes names (see
// jstrace.Unregistered): without it a script watching such names would
// show nothing and say nothing. since is jstrace.Unregistered() at attach.
func (s *session) reportOverflow(since uint64) {
	n := jstrace.Unregistered() - since
	if n == 0 {
		return
	}
	s.console.print(protocol.ConsoleFault, fmt.Sprintf(
		"%d trace calls during the session were not delivered: their probe names came after this process's first %d (jstrace.MaxProbes)\n",
		n, jstrace.MaxProbes))
	s.log.Warn("probe names over the limit", "undelivered", n, "max_probes", jstrace.MaxProbes)
}
