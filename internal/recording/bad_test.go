package recording

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hdr = `{"jstrace":"recording","version":1,"created":"2026-12-01T00:40:01Z"}` + "\n"

func rec(fields string) string {
	return `{"time":"2026-12-01T00:40:01Z","host":"h","title":"t","pid":1,"probe":"p","fields":{` + fields + "}}\n"
}

const end1 = `{"end":{"records":1,"dropped":0}}` + "\n"

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func nested(n int) string {
	return strings.Repeat(`{"list":[`, n) + strings.Repeat(`]}`, n)
}

// TestBadInput feeds the Reader what a hostile or damaged file holds: each
// gives the error kind, at the line and byte offset where it is.
func TestBadInput(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "all-kinds.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lastLine := bytes.LastIndexByte(golden[:len(golden)-1], '\n') + 1
	gzGolden := gz(string(golden))
	for _, c := range []struct {
		name, file string
		kind       error
		line       int // 0: not checked
		offset     int64
		msg        string
	}{
		{"empty", "", ErrNotRecording, 1, 0, "empty"},
		{"binary", "\x00\x01\x02", ErrNotRecording, 1, 0, "no recording header"},
		{"other json", `{"a":1}` + "\n", ErrNotRecording, 1, 0, "no recording header"},
		{"newer", `{"jstrace":"recording","version":2}` + "\n", ErrVersion, 1, 0, "version: 2 (this jstrace reads 1 and older)"},
		{"version 0", `{"jstrace":"recording","version":0}` + "\n", ErrCorrupt, 1, 0, "bad version 0"},
		{"cut mid-line", string(golden[:lastLine+10]), ErrTruncated, 5, int64(lastLine), "cut short after 10 bytes"},
		{"no end line", string(golden[:lastLine]), ErrTruncated, 5, int64(lastLine), "ends after 3 records, without its end line"},
		{"gzip cut", gzGolden[:len(gzGolden)-12], ErrTruncated, 0, 0, "cut short"},
		{"gzip checksum", gzGolden[:len(gzGolden)-8] + "\x00\x00\x00\x00" + gzGolden[len(gzGolden)-4:], ErrCorrupt, 0, 0, "checksum"},
		{"after end", hdr + rec("") + end1 + rec(""), ErrCorrupt, 4, int64(len(hdr + rec("") + end1)), "after the end line"},
		{"count", hdr + rec("") + `{"end":{"records":2}}` + "\n", ErrCorrupt, 3, 0, "counts 2 records, the file has 1"},
		{"empty line", hdr + "\n", ErrCorrupt, 2, int64(len(hdr)), "empty line"},
		{"not json", hdr + "{\n", ErrCorrupt, 2, int64(len(hdr)), "offset 1: want a string, have the end"},
		{"no probe", hdr + `{"time":"2026-12-01T00:40:01Z"}` + "\n", ErrCorrupt, 2, 0, `no "probe"`},
		{"bad time", hdr + `{"time":"yesterday","probe":"p"}` + "\n", ErrCorrupt, 2, 0, `"time"`},
		{"time range", hdr + `{"time":"3000-01-01T00:00:00Z","probe":"p"}` + "\n", ErrCorrupt, 2, 0, "out of range"},
		{"unknown kind", hdr + rec(`"a":{"complex":1}`), ErrCorrupt, 2, 0, `unknown value kind "complex"`},
		{"two kinds", hdr + rec(`"a":{"int":1,"uint":2}`), ErrCorrupt, 2, 0, `want "}"`},
		{"int overflow", hdr + rec(`"a":{"int":9223372036854775808}`), ErrCorrupt, 2, 0, "out of range"},
		{"int fraction", hdr + rec(`"a":{"int":1.5}`), ErrCorrupt, 2, 0, "invalid syntax"},
		{"uint negative", hdr + rec(`"a":{"uint":-1}`), ErrCorrupt, 2, 0, "invalid syntax"},
		{"float text", hdr + rec(`"a":{"float":"1.5"}`), ErrCorrupt, 2, 0, "only NaN"},
		{"bytes", hdr + rec(`"a":{"bytes":"!!"}`), ErrCorrupt, 2, 0, "illegal base64"},
		{"nil", hdr + rec(`"a":{"nil":0}`), ErrCorrupt, 2, 0, "want true, false or null"},
		{"nil false", hdr + rec(`"a":{"nil":false}`), ErrCorrupt, 2, 0, "nil: want null, have false"},
		{"escapes", hdr + rec(`"a":{"string":"\x"}`), ErrCorrupt, 2, 0, "in string escape code"},
		{"leading zero", hdr + rec(`"a":{"int":01}`), ErrCorrupt, 2, 0, `want "," or "}", have '1'`},
		{"map pair", hdr + rec(`"a":{"map":[[{"int":1}]]}`), ErrCorrupt, 2, 0, "want"},
		{"fields list", hdr + `{"time":"2026-12-01T00:40:01Z","probe":"p","fields":[]}` + "\n", ErrCorrupt, 2, 0, `want "{"`},
		{"deep", hdr + rec(`"a":`+nested(MaxDepth+2)), ErrCorrupt, 2, 0, "nested deeper than 64"},
		{"record size", hdr + rec(strings.Repeat(`"a":{"string":"`+strings.Repeat("x", 1000)+`"},`, 1100)+`"b":{"nil":null}`), ErrCorrupt, 2, 0, "larger than 1048576 bytes"},
		{"long line", hdr + `{"probe":"` + strings.Repeat("x", MaxLine) + "\"}\n", ErrCorrupt, 2, int64(len(hdr)), "longer than 8388608 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readString(c.file)
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %v, want %v", err, c.kind)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T, want a *FileError", err)
			}
			if c.line != 0 && (fe.Line != c.line || (c.offset != 0 && fe.Offset != c.offset)) {
				t.Errorf("at line %d byte %d, want line %d byte %d", fe.Line, fe.Offset, c.line, c.offset)
			}
			want := fmt.Sprintf("line %d (byte %d): ", fe.Line, fe.Offset)
			if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, c.msg) {
				t.Errorf("message %q, want %q…%q", msg, want, c.msg)
			}
		})
	}
}

// readString reads a whole recording; the records read before an error
// are returned with it.
func readString(s string) ([]Record, error) {
	r, err := NewReader(strings.NewReader(s))
	if err != nil {
		return nil, err
	}
	return readAll(r)
}

// TestHandWritten: a recording written by hand (or by another tool) may
// leave members out and use CRLF line ends.
func TestHandWritten(t *testing.T) {
	file := `{"jstrace":"recording","version":1}` + "\r\n" +
		`{"time":"2026-12-01T01:40:01+01:00","probe":"request:end","fields":{"path":{"string":"/x"},"ms":{"float":12}},"extra":1}` + "\r\n" +
		`{"time":"2026-12-01T00:40:02Z","probe":"tick"}` + "\n" +
		`{"end":{"records":2}}` + "\n"
	recs, err := readString(file)
	if err != nil {
		t.Fatal(err)
	}
	want := newEvent(1, "request:end", t0.Truncate(1e9).UnixNano()).field("path", str(6, "/x")...).field("ms", float(12)...)
	if len(recs) != 2 || !bytes.Equal(recs[0].Event, want.b) {
		t.Fatalf("got %d records, first %x, want %x", len(recs), recs[0].Event, want.b)
	}
}

// TestLineSyntax: what encoding/json rejects, the Reader's own scanner
// rejects too.
func TestLineSyntax(t *testing.T) {
	for _, line := range []string{
		`{"probe":"p","time":"2026-12-01T00:40:01Z"`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z"} x`,
		`{"probe":"p" "time":"2026-12-01T00:40:01Z"}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z",}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":[1,]}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":tru}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":"a` + "\x01" + `"}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":-}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":1.}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":1e}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","pid":1.5}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","emit":1}`,
		`{"probe":"p","time":"2026-12-01T00:40:01Z","x":` + strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2) + `}`,
		`["probe"]`,
	} {
		if _, err := readString(hdr + line + "\n" + `{"end":{"records":1}}` + "\n"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v, want ErrCorrupt", line, err)
		}
	}
}
