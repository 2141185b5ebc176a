package jstrace

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestFrameBoundaries(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, MaxRecordSize - 1, MaxRecordSize, MaxRecordSize + 1} {
		f, ok := frame(make([]byte, frameHdr+n))
		if n > MaxRecordSize {
			if ok || f != nil {
				t.Errorf("a record of %d bytes was framed", n)
			}
			continue
		}
		l, h := binary.Uvarint(f)
		if !ok || int(l) != n || len(f) != h+n {
			t.Errorf("n=%d: framed as length %d with a %d-byte header, %d bytes in all", n, l, h, len(f))
		}
	}
}

// A record cut by the encoder at MaxRecordSize must never be delivered:
// around the limit, every record delivered is whole, and every record over
// it is dropped and counted.
func TestCutRecordsAreNeverDelivered(t *testing.T) {
	p := NewProbe("test:cut")
	s := Subscribe(func(n string) bool { return n == "test:cut" }, 8<<20)
	defer s.Close()
	for size := MaxRecordSize - 4; size <= MaxRecordSize+6; size++ {
		// prefix, time, key "l", list tag and count, then 256 strings
		// whose total makes the whole record size bytes.
		base := len(p.prefix) + 8 + 2 + 1 + 2
		const e = 4096 // one string: tag, 2-byte length, e-3 bytes
		first := size - base - 255*e
		elems := []any{strings.Repeat("x", first-3)}
		for range 255 {
			elems = append(elems, strings.Repeat("y", e-3))
		}
		before := s.Dropped()
		p.Emit("l", elems)
		raw := s.Read(nil)
		if size > MaxRecordSize {
			if len(raw) > 0 || s.Dropped() != before+1 {
				t.Fatalf("a record of %d bytes: delivered %d bytes, dropped %d", size, len(raw), s.Dropped()-before)
			}
			continue
		}
		rec, _, err := protocol.NextRecord(raw)
		if err != nil {
			t.Fatalf("a record of %d bytes was not delivered: %v", size, err)
		}
		if _, err := protocol.ParseRecord(rec); err != nil || len(rec) != size {
			t.Fatalf("a record of %d bytes was delivered as %d bytes: %v", size, len(rec), err)
		}
	}
}
