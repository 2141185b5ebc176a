// Package state is the example service's live state, which it opts in for
// remote jstrace scripts (agent.Options.Packages): scripts import it with a
// //jstrace:remote mark and read it from inside the process.
package state

import "sync/atomic"

var inflight atomic.Int64

// Inflight returns the number of requests being served now.
func Inflight() int { return int(inflight.Load()) }

// Begin and End count a request in and out; the service calls them.
func Begin() { inflight.Add(1) }

// End counts a request out.
func End() { inflight.Add(-1) }
