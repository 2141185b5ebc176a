package jstrace

// SubscribeFlight starts a flight recorder: a subscription to every probe
// whose name match reports true, like [Subscribe], that keeps the most
// recent of their events in size bytes of memory (at least
// [MinFlightSize]), overwriting the oldest, until Close. Nobody reads it
// as events come: there is no reader goroutine and nothing is woken; the
// goroutine that fires a probe encodes its event, as for any buffered
// subscription, and copies it into the buffer. [Subscription.Snapshot]
// copies out what it holds.
//
// Its memory is exactly size bytes (plus a few hundred of bookkeeping),
// split in up to 8 shards so that probes firing in parallel rarely wait
// for one another: an event larger than a shard is dropped and counted.
// The probes it matches stay enabled while it runs: they cost what an
// enabled probe costs (an encoding and a copy), and so does every
// [Trace] call while any subscription exists (a lookup).
//
// Read returns nothing, Ready and Filling never fire, and Dropped is 0.
func SubscribeFlight(match func(probe string) bool, size int) *Subscription {
	return subscribe(&Subscription{match: orNone(match), flight: newFlight(size)})
}

// Snapshot appends the records a flight recorder ([SubscribeFlight]) holds
// to dst, oldest first, each prefixed by its length as a uvarint (the
// payload format of the protocol's Events frame), and returns its counters.
// Shards fill at different paces: a snapshot leaves out the records older
// than the oldest one a shard that has overwritten still holds, so that it
// holds every event since its first (counting those left out in
// Overwritten). It copies one shard at a time, under that shard's lock;
// the recorder keeps recording meanwhile. Snapshot returns dst and zero
// counters for other subscriptions. It is safe for concurrent use.
func (s *Subscription) Snapshot(dst []byte) ([]byte, FlightStats) {
	if s.flight == nil {
		return dst, FlightStats{}
	}
	return s.flight.snapshot(dst)
}
