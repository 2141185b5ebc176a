package recording

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// FuzzReader reads arbitrary files: the Reader must return records or an
// error, never panic or hang, every record it returns must be a
// well-formed wire event, and writing those records again must read back
// the same events (the format loses nothing of what it accepts).
func FuzzReader(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "all-kinds.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(gz(string(golden))))
	f.Add([]byte(hdr + rec(`"a":{"map":[[{"float":"NaN"},{"list":[{"nil":null}]}]]}`) + end1))
	f.Add([]byte(hdr + rec(`"a":`+nested(10)) + end1))
	f.Add([]byte(hdr + `{"time":"2026-12-01T00:40:01Z","probe":"p","emit":true}` + "\n" + end1))
	f.Fuzz(func(t *testing.T, file []byte) {
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		recs, _ := readAll(r)
		for _, rec := range recs {
			if _, err := protocol.ParseRecord(rec.Event); err != nil {
				t.Fatalf("Reader returned a malformed event %x: %v", rec.Event, err)
			}
		}
		again, err := readString(string(write(t, recs, 0)))
		if err != nil {
			t.Fatalf("rewritten records do not read back: %v", err)
		}
		checkSame(t, again, recs)
	})
}

// FuzzWriter writes arbitrary wire events: the Writer must reject the
// malformed ones and write the rest so that they read back the same.
func FuzzWriter(f *testing.F) {
	for _, r := range allKinds() {
		f.Add(r.Event)
	}
	f.Fuzz(func(t *testing.T, ev []byte) {
		var b bytes.Buffer
		w, _ := NewWriter(&b, header)
		if err := w.Write(Record{Hostname: "h", Event: ev}); err != nil {
			if _, perr := protocol.ParseRecord(ev); perr == nil {
				t.Fatalf("Write rejected a well-formed event: %v", err)
			}
			return
		}
		w.Close()
		recs, err := readString(b.String())
		if err != nil {
			t.Fatalf("written event does not read back: %v\n%s", err, b.Bytes())
		}
		if len(recs) != 1 {
			t.Fatalf("%d records", len(recs))
		}
		// The event read back may differ in bytes (varints are written
		// minimal, invalid UTF-8 became U+FFFD), never in what it says.
		want, _ := appendRecordJSON(nil, Record{Event: ev})
		got, err := appendRecordJSON(nil, Record{Event: recs[0].Event})
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read back %x, wrote %x (%v)", recs[0].Event, ev, err)
		}
	})
}

// FuzzLine: the Reader's own scanner accepts no line that is not JSON, and
// its fields read the same as encoding/json reads them.
func FuzzLine(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("testdata", "all-kinds.jsonl"))
	for _, l := range bytes.Split(golden, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"probe":"p\u00e9\"","time":"2026-12-01T00:40:01Z","pid":-3,"x":[1,{"a":null},-0.5e+3]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := parseLine(line)
		if err != nil {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("accepted %q, which is not JSON", line)
		}
		var std struct {
			Host  string  `json:"host"`
			Title string  `json:"title"`
			Probe *string `json:"probe"`
		}
		if err := json.Unmarshal(line, &std); err != nil {
			return // a member of another type: the Reader is stricter
		}
		if std.Host != l.Host || std.Title != l.Title || (std.Probe == nil) != (l.Probe == nil) || (l.Probe != nil && *std.Probe != *l.Probe) {
			t.Fatalf("%q: read %q %q %v, encoding/json reads %q %q %v", line, l.Host, l.Title, l.Probe, std.Host, std.Title, std.Probe)
		}
	})
}
