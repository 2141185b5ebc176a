package script

import (
	"testing"

	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// link.RawKey finds the one raw key that the getters match to a script's
// key (keyIs), or says there is none: the agent encodes a borrowing
// handler's fields by the raw keys the sandbox works out with it.
func TestRawKeyIsWhatGettersMatch(t *testing.T) {
	keys := []string{"", "_", "status", "_status", "pid", "_pid", "__pid", "name", "_name", "time", "__time", "hostname", "title", "_title", "x_pid", "pid_"}
	for _, key := range keys {
		raw, ok := link.RawKey(key)
		for _, k := range keys {
			if want, got := keyIs([]byte(k), key), ok && k == raw; got != want {
				t.Errorf("script key %q, raw key %q: RawKey says %v (%q, %v), the getters %v", key, k, got, raw, ok, want)
			}
		}
	}
}
