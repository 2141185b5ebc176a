package agent

import "testing"

// The shipped groups waiting in a session's queue count in the agent's
// memory total (governor.memory), as its buffer and groups do.
func TestShipQueueHeld(t *testing.T) {
	q := newShipQueue()
	if q.held() != 0 {
		t.Fatalf("an empty queue holds %d bytes", q.held())
	}
	for range 100 {
		if !q.put(make([]byte, 10<<10)) {
			t.Fatal("put refused below the bound")
		}
	}
	if n := q.held(); n < 100*10<<10 {
		t.Fatalf("a queue of 1000 KiB says it holds %d bytes", n)
	}
	q.take(nil)
	if n := q.held(); n != 0 {
		t.Fatalf("after a take of a burst over maxBatch, %d bytes held", n)
	}
}
