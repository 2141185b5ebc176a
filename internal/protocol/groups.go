package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
)

// KindGroups tags a value holding the groups of an aggregation that a
// remote script shipped (traces.Ship): a uvarint length, then that many
// bytes of a Groups encoding. See docs/protocol.md.
const KindGroups Kind = 0x0d

// GroupsVersion is the version of the Groups encoding that this package
// writes, and the only one it reads.
const GroupsVersion = 1

// Bounds of a Groups encoding; the decoder rejects anything beyond them.
const (
	MaxGroups        = 1000 // groups of one Groups value
	MaxGroupFields   = 8    // By fields, so key parts of a group
	MaxGroupKey      = 1024 // bytes of one key part or field name
	MaxGroupBuckets  = 1024 // buckets of one sign of one histogram
	MaxLinearBuckets = 1000 // buckets of a linear histogram's range
	maxBucketIndex   = 1 << 16
)

// HistKind says how a histogram cuts values into buckets.
type HistKind byte

// Histogram kinds.
const (
	HistLogLinear HistKind = 0 // 16 buckets per power of two
	HistLinear    HistKind = 1 // Lo + i×Step, i in [0, Buckets), under- and overflow
	HistPow2      HistKind = 2 // one bucket per power of two
)

// Groups is what a remote Aggregation kept during one interval, as shipped
// to the CLI. It is a plain value: callers own it and share it at will.
type Groups struct {
	By      []string // the By fields; every group has as many Keys
	Of      string   // the Of field, or ""
	Hist    HistKind
	Lo      float64 // HistLinear only
	Step    float64 // HistLinear only
	Buckets int     // HistLinear only: buckets of [Lo, Lo+Buckets×Step)
	Missing uint64  // traces without a numeric Of, this interval
	Dropped uint64  // traces left out (bounds), this interval
	Groups  []Group
}

// Group is one group of a Groups value.
type Group struct {
	Keys          []string
	Count         uint64
	Sum, Min, Max float64
	Zeros         uint64 // values counted apart from Pos and Neg (see HistKind)
	Pos, Neg      Buckets
}

// Buckets are the counts of bucket indexes Off, Off+1, ….
type Buckets struct {
	Off int32
	N   []uint64
}

// AppendGroupsValue appends g as a value of KindGroups.
func AppendGroupsValue(b []byte, g *Groups) []byte {
	p := g.Append(nil)
	b = append(b, byte(KindGroups))
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// Append appends the Groups encoding of g (without the value's tag and
// length) to b.
func (g *Groups) Append(b []byte) []byte {
	b = append(b, GroupsVersion)
	b = appendStrings(b, g.By)
	b = appendString(b, g.Of)
	b = append(b, byte(g.Hist))
	if g.Hist == HistLinear {
		b = appendF64(b, g.Lo)
		b = appendF64(b, g.Step)
		b = binary.AppendUvarint(b, uint64(g.Buckets))
	}
	b = binary.AppendUvarint(b, g.Missing)
	b = binary.AppendUvarint(b, g.Dropped)
	b = binary.AppendUvarint(b, uint64(len(g.Groups)))
	for i := range g.Groups {
		gr := &g.Groups[i]
		for _, k := range gr.Keys {
			b = appendString(b, k)
		}
		b = binary.AppendUvarint(b, gr.Count)
		b = appendF64(b, gr.Sum)
		b = appendF64(b, gr.Min)
		b = appendF64(b, gr.Max)
		b = binary.AppendUvarint(b, gr.Zeros)
		b = appendBuckets(b, gr.Pos)
		b = appendBuckets(b, gr.Neg)
	}
	return b
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBuckets(b []byte, bs Buckets) []byte {
	b = binary.AppendVarint(b, int64(bs.Off))
	b = binary.AppendUvarint(b, uint64(len(bs.N)))
	for _, c := range bs.N {
		b = binary.AppendUvarint(b, c)
	}
	return b
}

// Decode decodes a Groups encoding, checking every bound. An encoding of
// another version gets an error that names both versions.
func (g *Groups) Decode(p []byte) error {
	*g = Groups{}
	d := decoder{b: p}
	if v := d.byte("groups version"); d.err == nil && v != GroupsVersion {
		return fmt.Errorf("decode groups: %w: shipped groups of version %d, this jstrace reads version %d (upgrade the older side)", ErrMalformed, v, GroupsVersion)
	}
	n := d.uvarint("groups fields")
	if n > MaxGroupFields {
		d.fail("groups fields: too many")
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		g.By = append(g.By, d.key("groups field"))
	}
	g.Of = d.key("groups of")
	g.Hist = HistKind(d.byte("histogram kind"))
	switch g.Hist {
	case HistLogLinear, HistPow2:
	case HistLinear:
		g.Lo, g.Step = d.f64("linear lo"), d.f64("linear step")
		nb := d.uvarint("linear buckets")
		if nb == 0 || nb > MaxLinearBuckets || !(g.Step > 0) || math.IsInf(g.Step, 0) || math.IsNaN(g.Lo) || math.IsInf(g.Lo, 0) {
			d.fail("linear histogram")
		}
		g.Buckets = int(nb)
	default:
		d.fail("histogram kind")
	}
	g.Missing = d.uvarint("groups missing")
	g.Dropped = d.uvarint("groups dropped")
	count := d.uvarint("group count")
	if count > MaxGroups || count > uint64(len(d.b)) {
		d.fail("group count")
	}
	if d.err == nil && count > 0 {
		g.Groups = make([]Group, count)
	}
	for i := range g.Groups {
		if d.err != nil {
			break
		}
		gr := &g.Groups[i]
		if len(g.By) > 0 {
			gr.Keys = make([]string, len(g.By))
		}
		for j := range gr.Keys {
			gr.Keys[j] = d.key("group key")
		}
		gr.Count = d.uvarint("group count")
		gr.Sum, gr.Min, gr.Max = d.f64("group sum"), d.f64("group min"), d.f64("group max")
		gr.Zeros = d.uvarint("group zeros")
		gr.Pos = d.buckets()
		gr.Neg = d.buckets()
	}
	return d.end("groups")
}

// key reads a string of at most MaxGroupKey bytes.
func (d *decoder) key(what string) string {
	b := d.bytes(what)
	if len(b) > MaxGroupKey {
		d.fail(what + ": too long")
		return ""
	}
	return string(b)
}

func (d *decoder) f64(what string) float64 {
	return math.Float64frombits(uint64(d.int64le(what)))
}

func (d *decoder) buckets() Buckets {
	off, w := binary.Varint(d.b)
	if w <= 0 || off < -maxBucketIndex || off > maxBucketIndex {
		d.fail("bucket offset")
		return Buckets{}
	}
	d.b = d.b[w:]
	n := d.uvarint("bucket count")
	if n > MaxGroupBuckets || n > uint64(len(d.b)) { // a count takes a byte at least
		d.fail("bucket count")
		return Buckets{}
	}
	bs := Buckets{Off: int32(off)}
	if n > 0 {
		bs.N = make([]uint64, n)
	}
	for i := range bs.N {
		bs.N[i] = d.uvarint("bucket")
	}
	return bs
}

// skipGroups returns the length of the KindGroups value at the start of
// b, checking that its payload decodes.
func skipGroups(b []byte) (int, error) {
	l, n := binary.Uvarint(b[1:])
	if n <= 0 || l > uint64(len(b)-1-n) {
		return 0, malformed("bad groups length")
	}
	var g Groups
	if err := g.Decode(b[1+n : 1+n+int(l)]); err != nil {
		return 0, err
	}
	return 1 + n + int(l), nil
}

// decodeGroups decodes a KindGroups value already checked by skipGroups.
func decodeGroups(b []byte) (*Groups, int) {
	l, n := binary.Uvarint(b[1:])
	g := new(Groups)
	g.Decode(b[1+n : 1+n+int(l)])
	return g, 1 + n + int(l)
}

// GroupsField is the key of the one field of a shipped-groups record.
const GroupsField = "groups"

// AppendGroupsRecord appends an emitted record (RecordEmit) named name,
// of time ts (Unix nanoseconds), whose one field GroupsField holds g as
// a KindGroups value: how an agent ships groups.
func AppendGroupsRecord(b []byte, name string, ts int64, g *Groups) []byte {
	b = append(b, byte(RecordEmit))
	b = appendString(b, name)
	b = binary.LittleEndian.AppendUint64(b, uint64(ts))
	b = appendString(b, GroupsField)
	return AppendGroupsValue(b, g)
}
