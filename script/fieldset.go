package script

import (
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Each getter call scans a trace's fields for the last one of its key. A
// compiled handler that reads several fields of its trace reads them all
// in one pass instead, the first time it needs one (link.Constructors'
// Fields), then decodes each with the getters' own functions
// (link.Getters): what it reads is what the getters would.

// fieldsReader is link.Constructors.Fields.
func fieldsReader(keys []string) func(*Trace, [][]byte) {
	raw := make([]rawKey, len(keys))
	for i, k := range keys {
		raw[i].key, raw[i].ok = link.RawKey(k) // "" too, as lookup reads it
	}
	return func(t *Trace, vals [][]byte) { t.lookupAll(raw, vals) }
}

// lookupAll is lookup for every key at once: vals[i] is the encoded value
// of the last field presented as keys[i], nil if none.
func (t *Trace) lookupAll(keys []rawKey, vals [][]byte) {
	clear(vals)
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		for i := range keys {
			if keys[i].ok && string(k) == keys[i].key {
				vals[i] = v
			}
		}
		f = rest
	}
}

// getters is link.Getters.
var getters = link.Getters{
	Int: intOf, Uint: uintOf, Float: floatOf, Dur: durOf, Bool: boolOf,
	Str: strOf, Time: timeOf, Has: func(v []byte) bool { return v != nil },
}
