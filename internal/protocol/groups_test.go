package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sampleGroups has a group of every shape: linear, with keys of two
// fields, negative and positive buckets and zeros.
func sampleGroups() *Groups {
	return &Groups{
		By: []string{"route", "status"}, Of: "duration",
		Hist: HistLinear, Lo: 0, Step: 10, Buckets: 5,
		Missing: 3, Dropped: 1,
		Groups: []Group{
			{Keys: []string{"/a", "200"}, Count: 4, Sum: 60, Min: -5, Max: 40, Zeros: 0,
				Pos: Buckets{Off: -1, N: []uint64{1, 0, 1, 0, 1, 1}}},
			{Keys: []string{"/b", "500"}, Count: 2, Sum: 3, Min: 1, Max: 2, Zeros: 0,
				Pos: Buckets{Off: 0, N: []uint64{2}}, Neg: Buckets{Off: 3, N: []uint64{0}}},
		},
	}
}

// groupsFrame is an Events frame of one shipped-groups record.
func groupsFrame() []byte {
	rec := AppendGroupsRecord(nil, "reqs", 1<<31, sampleGroups())
	batch := binary.AppendUvarint(nil, uint64(len(rec)))
	return AppendFrame(nil, FrameEvents, append(batch, rec...))
}

// TestGoldenGroupsFrame decodes the golden frame of shipped groups
// (TestGoldenFrames pins its bytes) back to what was encoded.
func TestGoldenGroupsFrame(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "groups.frame"))
	if err != nil {
		t.Fatal(err)
	}
	ft, p, err := NewFrameReader(bytes.NewReader(want)).ReadFrame()
	if err != nil || ft != FrameEvents {
		t.Fatalf("frame %v: %v", ft, err)
	}
	if err := decodeFrame(ft, p); err != nil {
		t.Fatal(err)
	}
	rec, _, err := NextRecord(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecord(rec)
	if err != nil || r.Kind != RecordEmit || string(r.Name) != "reqs" {
		t.Fatalf("record %+v: %v", r, err)
	}
	k, v, rest, err := NextField(r.Fields)
	if err != nil || string(k) != GroupsField || len(rest) != 0 {
		t.Fatalf("field %q, rest %d: %v", k, len(rest), err)
	}
	x, _, err := DecodeValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x, sampleGroups()) {
		t.Fatalf("decoded %+v\nwant %+v", x, sampleGroups())
	}
}

func TestGroupsRoundTrip(t *testing.T) {
	for name, g := range map[string]*Groups{
		"empty":      {},
		"sample":     sampleGroups(),
		"pow2":       {Hist: HistPow2, Groups: []Group{{Count: 1, Min: 1, Max: 1, Sum: 1, Pos: Buckets{Off: 0, N: []uint64{1}}}}},
		"log-linear": {By: []string{"k"}, Groups: []Group{{Keys: []string{""}, Count: 7, Zeros: 7}}},
	} {
		t.Run(name, func(t *testing.T) {
			var got Groups
			if err := got.Decode(g.Append(nil)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, g) {
				t.Fatalf("got %+v, want %+v", got, *g)
			}
		})
	}
}

// TestGroupsBounds checks that the decoder refuses what exceeds its
// bounds, and names the versions when the encoding's is not its own.
func TestGroupsBounds(t *testing.T) {
	enc := func(g *Groups) []byte { return g.Append(nil) }
	manyGroups := &Groups{Groups: make([]Group, MaxGroups+1)}
	manyFields := &Groups{By: make([]string, MaxGroupFields+1)}
	longKey := &Groups{By: []string{"k"}, Groups: []Group{{Keys: []string{strings.Repeat("x", MaxGroupKey+1)}}}}
	manyBuckets := &Groups{Groups: []Group{{Pos: Buckets{N: make([]uint64, MaxGroupBuckets+1)}}}}
	farBuckets := &Groups{Groups: []Group{{Pos: Buckets{Off: maxBucketIndex + 1, N: []uint64{1}}}}}
	wideLinear := &Groups{Hist: HistLinear, Step: 1, Buckets: MaxLinearBuckets + 1}
	zeroStep := &Groups{Hist: HistLinear, Step: 0, Buckets: 1}
	nanLo := &Groups{Hist: HistLinear, Lo: math.NaN(), Step: 1, Buckets: 1}
	badKind := append([]byte(nil), enc(&Groups{})...)
	badKind[3] = 9 // version, no fields, empty Of, then the kind
	newer := enc(sampleGroups())
	newer[0] = GroupsVersion + 1
	for name, p := range map[string][]byte{
		"too many groups":      enc(manyGroups),
		"too many fields":      enc(manyFields),
		"key too long":         enc(longKey),
		"too many buckets":     enc(manyBuckets),
		"bucket index too far": enc(farBuckets),
		"linear too wide":      enc(wideLinear),
		"linear zero step":     enc(zeroStep),
		"linear NaN lo":        enc(nanLo),
		"unknown hist kind":    badKind,
		"cut":                  enc(sampleGroups())[:20],
		"trailing bytes":       append(enc(sampleGroups()), 0),
		"newer version":        newer,
		"empty":                {},
		"huge group count":     {GroupsVersion, 0, 0, 0, 0, 0, 0xff, 0xff, 0x03},
	} {
		t.Run(name, func(t *testing.T) {
			var g Groups
			err := g.Decode(p)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
			if name == "newer version" && !strings.Contains(err.Error(), "version 2, this jstrace reads version 1") {
				t.Fatalf("err = %v, want both versions named", err)
			}
			// As a value, the same payload is refused by SkipValue.
			v := append([]byte{byte(KindGroups)}, binary.AppendUvarint(nil, uint64(len(p)))...)
			if _, _, err := DecodeValue(append(v, p...)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("as a value: err = %v", err)
			}
		})
	}
}

// TestGroupsValueLength checks a value whose length runs past its end.
func TestGroupsValueLength(t *testing.T) {
	v := AppendGroupsValue(nil, sampleGroups())
	if _, _, err := DecodeValue(v[:len(v)-1]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
	if _, n, err := DecodeValue(v); err != nil || n != len(v) {
		t.Fatalf("n = %d of %d, err = %v", n, len(v), err)
	}
}

// FuzzGroups fuzzes the decoder of shipped groups: it never panics, and
// what it accepts encodes back to the same bytes.
func FuzzGroups(f *testing.F) {
	f.Add(sampleGroups().Append(nil))
	f.Add((&Groups{}).Append(nil))
	f.Add((&Groups{Hist: HistPow2, By: []string{"a"}, Groups: []Group{{Keys: []string{"x"}, Count: 1, Neg: Buckets{Off: -3, N: []uint64{1}}}}}).Append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		var g Groups
		if g.Decode(p) != nil {
			return
		}
		if got := g.Append(nil); !bytes.Equal(got, p) {
			// Varints have one encoding each, floats are copied bitwise:
			// only non-minimal varints differ, which the decoder accepts.
			var again Groups
			if err := again.Decode(got); err != nil || !reflect.DeepEqual(normalize(&again), normalize(&g)) {
				t.Fatalf("re-encoding differs: %v", err)
			}
		}
	})
}

// normalize makes NaNs comparable by DeepEqual.
func normalize(g *Groups) *Groups {
	fix := func(f *float64) {
		if math.IsNaN(*f) {
			*f = 0
		}
	}
	fix(&g.Lo)
	fix(&g.Step)
	for i := range g.Groups {
		fix(&g.Groups[i].Sum)
		fix(&g.Groups[i].Min)
		fix(&g.Groups[i].Max)
	}
	return g
}
