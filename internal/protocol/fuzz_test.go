package protocol

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata")

// decodeFrame decodes a frame's payload fully, whatever its type: the
// fuzzer's oracle is that this never panics and never loops.
func decodeFrame(t FrameType, p []byte) error {
	var m decodable
	switch t {
	case FrameHello:
		m = &Hello{}
	case FrameWelcome:
		m = &Welcome{}
	case FrameAttach:
		m = &Attach{}
	case FrameAttached:
		m = &Attached{}
	case FrameError:
		m = &Error{}
	case FrameStats, FrameDone:
		m = &Stats{}
	case FrameConsole:
		m = &Console{}
	case FrameWarning:
		m = &Warning{}
	case FrameDump:
		m = &Dump{}
	case FrameFlight:
		m = &Flight{}
	case FrameProbesRequest:
		m = &ProbesRequest{}
	case FrameProbeList:
		m = &ProbeList{}
	case FrameEvents:
		for len(p) > 0 {
			rec, rest, err := NextRecord(p)
			if err != nil {
				return err
			}
			r, err := ParseRecord(rec)
			if err != nil {
				return err
			}
			for f := r.Fields; len(f) > 0; {
				_, v, rest, err := NextField(f)
				if err != nil {
					return err
				}
				if _, _, err := DecodeValue(v); err != nil {
					return err
				}
				f = rest
			}
			p = rest
		}
		return nil
	default:
		return nil
	}
	return m.Decode(p)
}

// eventsBatch is an Events payload with one record of every value kind,
// encoded by hand as docs/protocol.md describes.
func eventsBatch() []byte {
	var rec []byte
	rec = append(rec, byte(RecordEvent))
	rec = appendString(rec, "request:end")
	rec = append(rec, 0, 0, 0, 0x80, 0, 0, 0, 0) // time 2^31, int64 little-endian
	field := func(key string, value ...byte) {
		rec = appendString(rec, key)
		rec = append(rec, value...)
	}
	field("nil", byte(KindNil))
	field("ok", byte(KindTrue))
	field("no", byte(KindFalse))
	field("status", byte(KindInt), 0x90, 0x03) // 200
	field("size", byte(KindUint), 0x07)
	f := make([]byte, 8)
	bits := math.Float64bits(0.5)
	for i := range f {
		f[i] = byte(bits >> (8 * i))
	}
	field("ratio", append([]byte{byte(KindFloat)}, f...)...)
	field("path", byte(KindString), 1, '/')
	field("body", byte(KindBytes), 2, 0xca, 0xfe)
	field("at", byte(KindTime), 0x02)
	field("duration", byte(KindDuration), 0xe8, 0x07) // 500ns
	field("err", byte(KindError), 4, 'b', 'o', 'o', 'm')
	field("list", byte(KindList), 2, byte(KindInt), 0x02, byte(KindString), 1, 'a')
	field("map", byte(KindMap), 1, byte(KindString), 1, 'k', byte(KindTrue))
	var batch []byte
	for range 2 {
		batch = binary.AppendUvarint(batch, uint64(len(rec)))
		batch = append(batch, rec...)
	}
	return batch
}

type golden struct {
	name  string
	frame []byte
}

func goldens() []golden {
	var gs []golden
	for _, m := range messages() {
		gs = append(gs, golden{m.name, AppendFrame(nil, m.t, m.m.Append(nil))})
	}
	gs = append(gs, golden{"events", AppendFrame(nil, FrameEvents, eventsBatch())})
	gs = append(gs, golden{"stop", AppendFrame(nil, FrameStop, nil)})
	gs = append(gs, golden{"groups", groupsFrame()})
	return gs
}

// TestGoldenFrames pins the wire format: a change that alters the encoding
// of any frame fails here (rewrite with go test -update, and bump Version
// if old peers can no longer read it).
func TestGoldenFrames(t *testing.T) {
	for _, g := range goldens() {
		path := filepath.Join("testdata", g.name+".frame")
		if *update {
			if err := os.WriteFile(path, g.frame, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g.frame, want) {
			t.Errorf("%s: encoding changed:\n got %x\nwant %x", g.name, g.frame, want)
		}
		ft, p, err := NewFrameReader(bytes.NewReader(want)).ReadFrame()
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if err := decodeFrame(ft, p); err != nil {
			t.Errorf("%s: %v", g.name, err)
		}
	}
}

func TestGoldenEventsDecode(t *testing.T) {
	p := eventsBatch()
	rec, _, err := NextRecord(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for f := r.Fields; len(f) > 0; {
		k, v, rest, _ := NextField(f)
		got[string(k)], _, _ = DecodeValue(v)
		f = rest
	}
	if got["status"] != 200 || got["size"] != uint(7) || got["ratio"] != 0.5 || got["duration"] != 500*time.Nanosecond ||
		got["path"] != "/" || !bytes.Equal(got["body"].([]byte), []byte{0xca, 0xfe}) || got["err"].(error).Error() != "boom" ||
		got["at"] != time.Unix(0, 1) || got["ok"] != true || got["no"] != false || got["nil"] != nil {
		t.Fatalf("decoded %#v", got)
	}
	if time.Unix(0, r.Time) != time.Unix(0, 1<<31) {
		t.Fatalf("time %d", r.Time)
	}
}

func FuzzDecode(f *testing.F) {
	for _, g := range goldens() {
		f.Add(g.frame)
	}
	var all []byte
	for _, g := range goldens() {
		all = append(all, g.frame...)
	}
	f.Add(all)
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFrameReader(bytes.NewReader(data))
		for {
			ft, p, err := fr.ReadFrame()
			if err != nil {
				return
			}
			decodeFrame(ft, p)
		}
	})
}

// FuzzNextField checks NextField's quick path against the general one:
// for any bytes, the same key, value and rest, or both an error.
func FuzzNextField(f *testing.F) {
	for _, g := range goldens() {
		f.Add(g.frame)
	}
	rec, _, _ := NextRecord(eventsBatch())
	if r, err := ParseRecord(rec); err == nil {
		f.Add(r.Fields)
	}
	f.Add([]byte{1, 'k', byte(KindInt), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02})
	f.Add([]byte{1, 'k', byte(KindString), 3, 'a', 'b'})
	f.Fuzz(func(t *testing.T, data []byte) {
		for f := data; len(f) > 0; {
			k, v, rest, err := NextField(f)
			k2, v2, rest2, err2 := nextField(f)
			if (err == nil) != (err2 == nil) || !bytes.Equal(k, k2) || !bytes.Equal(v, v2) || len(rest) != len(rest2) {
				t.Fatalf("NextField(%x) = %x %x %d %v; the general path: %x %x %d %v", f, k, v, len(rest), err, k2, v2, len(rest2), err2)
			}
			if err != nil {
				return
			}
			f = rest
		}
	})
}
