package protocol

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodable is implemented by every message type.
type decodable interface {
	Message
	Decode([]byte) error
}

// messages is one filled-in message of each type, also used for the golden
// frames.
func messages() []struct {
	name string
	t    FrameType
	m    decodable
} {
	return []struct {
		name string
		t    FrameType
		m    decodable
	}{
		{"hello", FrameHello, &Hello{Token: "s3cret", Secret: "6f1e", Client: "0.1.0"}},
		{"welcome", FrameWelcome, &Welcome{Agent: "0.1.0", PID: 4242, Title: "api", Hostname: "api-1", Addr: "127.0.0.1:7070", Sessions: 1, Probes: []string{"request:end", "request:start"}}},
		{"attach", FrameAttach, &Attach{Name: "s.go", Source: "package main\n", LocalPatterns: []string{"request:*"}, Flags: AttachStats}},
		{"attach-args", FrameAttach, &Attach{Name: "-e", Source: "package main\n", Flags: AttachStats | AttachArgs, Args: []string{"a", "", "b c"}}},
		{"attached", FrameAttached, &Attached{RemotePatterns: []string{"api:*", "{db,cache}:*"}}},
		{"error", FrameError, &Error{Code: CodeScript, Message: "s.go:3:1: undefined: x"}},
		{"stats", FrameStats, &Stats{Events: 1e6, Dropped: 12, HandlerDropped: 3, ConsoleDropped: 100, Errors: 1, Detached: "handler ran longer than 100ms"}},
		{"console", FrameConsole, &Console{Stream: ConsoleDir, Text: "12345\n"}},
		{"dump", FrameDump, &Dump{Patterns: []string{"request:*", "db:{query,exec}"}}},
		{"flight", FrameFlight, &Flight{Size: 8 << 20, Probes: []string{"request:*"}, Started: 1764552000e9, Written: 123456, Overwritten: 100000, Dropped: 1, Records: 23456, Bytes: 2345678}},
		{"probes-request", FrameProbesRequest, &ProbesRequest{Patterns: []string{"request:*"}, Window: 1500 * time.Millisecond}},
		{"probe-list", FrameProbeList, &ProbeList{Window: time.Second, More: true, Probes: []ProbeInfo{
			{Name: "request:end", Hits: 1200, Fields: []ProbeField{{"path", 1 << KindString}, {"status", 1 << KindInt}, {"ok", 1<<KindFalse | 1<<KindTrue}}},
			{Name: "db:query"},
		}}},
		{"warning", FrameWarning, &Warning{Kind: WarnNoField, Pattern: "request:end", Field: "duraton", Near: []string{"duration", "status"}}},
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	for _, tt := range messages() {
		t.Run(tt.name, func(t *testing.T) {
			payload := tt.m.Append(nil)
			got := reflect.New(reflect.TypeOf(tt.m).Elem()).Interface().(decodable)
			if err := got.Decode(payload); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.m) {
				t.Fatalf("got %+v, want %+v", got, tt.m)
			}
			// Every strict prefix is malformed, and so is trailing garbage.
			for i := range payload {
				if err := got.Decode(payload[:i]); !errors.Is(err, ErrMalformed) {
					t.Fatalf("prefix of %d bytes: err = %v", i, err)
				}
			}
			if err := got.Decode(append(payload, 0)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("trailing byte: err = %v", err)
			}
		})
	}
}

// Frames written are read back, through a FrameReader's default buffer and
// through a small one (payloads past it are read around it).
func TestFrames(t *testing.T) {
	msgs := append(messages(), struct {
		name string
		t    FrameType
		m    decodable
	}{"long console", FrameConsole, &Console{Text: strings.Repeat("x", 3*SmallBuffer+5)}})
	for _, size := range []int{16 << 10, SmallBuffer} {
		var buf bytes.Buffer
		fw := NewFrameWriter(&buf)
		for _, tt := range msgs {
			if err := fw.Send(tt.t, tt.m); err != nil {
				t.Fatal(err)
			}
		}
		if err := fw.Send(FrameStop, nil); err != nil {
			t.Fatal(err)
		}
		fr := NewFrameReaderSize(&buf, size)
		for _, tt := range msgs {
			ft, p, err := fr.ReadFrame()
			if err != nil || ft != tt.t || !bytes.Equal(p, tt.m.Append(nil)) {
				t.Fatalf("buffer %d: frame %s: type %v err %v", size, tt.name, ft, err)
			}
		}
		if ft, p, err := fr.ReadFrame(); err != nil || ft != FrameStop || len(p) != 0 {
			t.Fatalf("buffer %d: Stop frame: %v %v %v", size, ft, p, err)
		}
		if _, _, err := fr.ReadFrame(); err != io.EOF {
			t.Fatalf("buffer %d: end of stream: %v", size, err)
		}
	}
}

func TestFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"unknown type", []byte{0x7f, 0}, ErrMalformed},
		{"missing length", AppendFrame(nil, FrameEvents, nil)[:1:1], io.ErrUnexpectedEOF},
		{"length over limit", []byte{byte(FrameEvents), 0xff, 0xff, 0xff, 0x7f}, ErrTooLarge},
		{"cut payload", []byte{byte(FrameHello), 10, 1, 2}, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewFrameReader(bytes.NewReader(tt.in)).ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := WriteFrame(io.Discard, FrameEvents, make([]byte, MaxFrameSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("WriteFrame of an oversized payload: %v", err)
	}
}

func TestPreamble(t *testing.T) {
	var buf bytes.Buffer
	WritePreamble(&buf)
	if v, err := ReadPreamble(&buf); err != nil || v != Version {
		t.Fatalf("ReadPreamble = %d, %v", v, err)
	}
	if _, err := ReadPreamble(strings.NewReader("GET / HTTP/1.1\r\n")); !errors.Is(err, ErrBadMagic) {
		t.Fatalf("HTTP request: %v", err)
	}
	v, err := ReadPreamble(bytes.NewReader([]byte{'J', 'S', 'T', 'R', 9}))
	if !errors.Is(err, ErrVersion) || v != 9 || !strings.Contains(err.Error(), "peer speaks 9") {
		t.Fatalf("other version: %d, %v", v, err)
	}
	if _, err := ReadPreamble(strings.NewReader("JS")); err == nil {
		t.Fatal("short preamble accepted")
	}
}

func TestDecodeValueRejectsMalformed(t *testing.T) {
	deep := bytes.Repeat([]byte{byte(KindList), 1}, maxDecodeDepth+2)
	deep = append(deep, byte(KindNil))
	tests := map[string][]byte{
		"empty":              {},
		"unknown kind":       {0x7e},
		"short float":        {byte(KindFloat), 1, 2},
		"string past end":    {byte(KindString), 5, 'a'},
		"huge list count":    {byte(KindList), 0xff, 0xff, 0xff, 0xff, 0x0f},
		"map missing value":  {byte(KindMap), 1, byte(KindString), 1, 'k'},
		"nested too deep":    deep,
		"bad varint":         {byte(KindInt), 0x80, 0x80},
		"list of bad values": {byte(KindList), 2, byte(KindNil), 0x7e},
	}
	for name, in := range tests {
		if _, _, err := DecodeValue(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestParseRecord(t *testing.T) {
	rec := []byte{byte(RecordEmit)}
	rec = appendString(rec, "buffer size")
	rec = append(rec, 1, 0, 0, 0, 0, 0, 0, 0) // time 1, int64 little-endian
	rec = appendString(rec, "n")
	rec = append(rec, byte(KindInt), 0x54) // 42
	r, err := ParseRecord(rec)
	if err != nil || r.Kind != RecordEmit || string(r.Name) != "buffer size" || r.Time != 1 {
		t.Fatalf("ParseRecord = %+v, %v", r, err)
	}
	k, v, rest, err := NextField(r.Fields)
	if err != nil || string(k) != "n" || len(rest) != 0 {
		t.Fatalf("NextField = %q %v %v", k, rest, err)
	}
	if x, _, _ := DecodeValue(v); x != 42 {
		t.Fatalf("value %v", x)
	}
	if _, err := ParseRecord(append(rec, 1)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing junk: %v", err)
	}
	if _, err := ParseRecord([]byte{9, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown kind: %v", err)
	}
}

// TestAttachArgs: an Attach without arguments is encoded as before
// arguments existed (what older agents read); with them, the flag is set
// whatever the caller's Flags say; arguments beyond the bounds are
// malformed.
func TestAttachArgs(t *testing.T) {
	plain := (&Attach{Name: "s.go", Source: "x", Flags: AttachStats | AttachArgs}).Append(nil)
	old := appendString(appendString(nil, "s.go"), "x")
	old = appendStrings(old, nil)
	old = append(old, AttachStats)
	if !bytes.Equal(plain, old) {
		t.Fatalf("no args: got %x, want %x (the pre-args encoding)", plain, old)
	}
	var m Attach
	if err := m.Decode((&Attach{Args: []string{"a"}}).Append(nil)); err != nil || m.Flags != AttachArgs || !reflect.DeepEqual(m.Args, []string{"a"}) {
		t.Fatalf("decoded %+v, %v", m, err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"too many", make([]string, MaxArgs+1)},
		{"too long", []string{strings.Repeat("x", MaxArgsBytes+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if CheckArgs(tt.args) == nil {
				t.Fatal("CheckArgs accepted them")
			}
			var m Attach
			if err := m.Decode((&Attach{Args: tt.args}).Append(nil)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if err := CheckArgs(make([]string, MaxArgs)); err != nil {
		t.Fatal(err)
	}
	// The flag with an empty list is malformed: Append never writes it.
	if err := m.Decode(appendStrings(append(appendStrings(appendString(appendString(nil, ""), ""), nil), AttachArgs), nil)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty args: err = %v", err)
	}
}

func TestKindNames(t *testing.T) {
	got := strings.Join(KindNames(1<<KindFalse|1<<KindTrue|1<<KindInt|1<<40), ",")
	if got != "bool,int,?" {
		t.Fatalf("KindNames = %s", got)
	}
}
