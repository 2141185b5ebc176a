package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// maxShipQueue bounds the bytes of shipped-groups records (traces.Ship)
// waiting for the pump; records beyond it are dropped and counted as lost.
const maxShipQueue = 8 << 20

// A shipQueue holds the records of groups that the script shipped until
// the pump sends them, after the buffered events. It is safe for
// concurrent use: the engine goroutine puts, the pump takes.
type shipQueue struct {
	mu    sync.Mutex
	recs  []byte // length-prefixed records, as in an Events frame
	ready chan struct{}
}

func newShipQueue() *shipQueue { return &shipQueue{ready: make(chan struct{}, 1)} }

// put queues a record, if the queue has room.
func (q *shipQueue) put(rec []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.recs)+len(rec)+binary.MaxVarintLen64 > maxShipQueue {
		return false
	}
	q.recs = binary.AppendUvarint(q.recs, uint64(len(rec)))
	q.recs = append(q.recs, rec...)
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// held returns the bytes the queue holds, for the agent's memory total
// (Totals.MaxMemory).
func (q *shipQueue) held() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int64(cap(q.recs))
}

// take appends the queued records to dst and empties the queue.
func (q *shipQueue) take(dst []byte) []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	dst = append(dst, q.recs...)
	q.recs = q.recs[:0]
	if cap(q.recs) > maxBatch {
		q.recs = nil // a burst does not pin its memory
	}
	return dst
}

var _ engine.Shipper = (*session)(nil)

// Ship queues a record of groups for the pump to send, behind the events
// buffered so far. Called on the engine goroutine (traces.Ship). A nil g
// only checks that the CLI reads shipped groups.
func (s *session) Ship(name string, g *protocol.Groups) error {
	if s.attach.Flags&protocol.AttachGroups == 0 {
		return errors.New("the CLI predates shipped aggregations: upgrade jstrace")
	}
	if g == nil {
		return nil
	}
	rec := protocol.AppendGroupsRecord(nil, name, time.Now().UnixNano(), g)
	if len(rec) > jstrace.MaxRecordSize {
		s.lost.Add(1)
		return fmt.Errorf("shipped groups of %d bytes exceed the record limit of %d", len(rec), jstrace.MaxRecordSize)
	}
	if !s.ships.put(rec) {
		s.lost.Add(1) // the CLI does not keep up: counted like a dropped event
	}
	return nil
}
