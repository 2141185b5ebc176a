package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A record may hold a value of KindGroups (traces.Ship's, or any agent's
// that sends one): protocol.ParseRecord accepts it, and the writer then
// panicked on a kind it had no name for, killing jstrace record (or dump)
// mid-recording. A recording has no form for it: the record is refused
// as malformed, as record.go counts those, and the writer goes on.
func TestReviewWriteGroupsValue(t *testing.T) {
	g := &protocol.Groups{By: []string{"route"}, Groups: []protocol.Group{{Keys: []string{"/a"}, Count: 3}}}
	top := protocol.AppendGroupsRecord(nil, "jstrace:agg", 1, g)
	// The same value inside a list: [groups].
	nested := []byte{byte(protocol.RecordEvent)}
	nested = binary.AppendUvarint(nested, 1)
	nested = append(nested, 'x')
	nested = binary.LittleEndian.AppendUint64(nested, 1)
	nested = binary.AppendUvarint(nested, 1)
	nested = append(nested, 'l', byte(protocol.KindList), 1)
	nested = protocol.AppendGroupsValue(nested, g)
	if _, err := protocol.ParseRecord(nested); err != nil {
		t.Fatalf("the nested record is not well formed: %v", err)
	}
	for name, rec := range map[string][]byte{"top": top, "in a list": nested} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, Header{})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(Record{Hostname: "h", Title: "api", PID: 1, Event: rec})
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("Write: %v, want an error wrapping ErrMalformed", err)
			}
			if err := w.Write(Record{Hostname: "h", Title: "api", PID: 1, Event: recordOf(t)}); err != nil {
				t.Fatalf("the next record: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rd, err := NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				if _, err := rd.Next(); err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("reading back: %v", err)
					}
					break
				}
				n++
			}
			if n != 1 {
				t.Fatalf("read back %d records, want 1", n)
			}
		})
	}
}

// recordOf returns a plain, well-formed event record.
func recordOf(t *testing.T) []byte {
	t.Helper()
	b := []byte{byte(protocol.RecordEvent)}
	b = binary.AppendUvarint(b, 3)
	b = append(b, "req"...)
	b = binary.LittleEndian.AppendUint64(b, 1)
	b = binary.AppendUvarint(b, 1)
	b = append(b, 'k', byte(protocol.KindInt), 2)
	if _, err := protocol.ParseRecord(b); err != nil {
		t.Fatalf("recordOf: %v", err)
	}
	return b
}
