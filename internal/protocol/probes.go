package protocol

import (
	"encoding/binary"
	"time"
)

// The probe catalogue's exchange (jstrace probes): instead of Attach, the
// CLI sends ProbesRequest on the control stream; the agent subscribes to
// the matching probes for the window, then answers one or more ProbeList
// frames, the last with More false. An agent that predates it closes the
// connection, as for Dump.
const (
	FrameProbesRequest FrameType = 0x32
	FrameProbeList     FrameType = 0x33
)

func init() {
	frameNames[FrameProbesRequest] = "ProbesRequest"
	frameNames[FrameProbeList] = "ProbeList"
}

// Bounds of the probe catalogue, applied by the agent and checked by the
// decoder.
const (
	MaxProbeWindow  = time.Minute // the longest sampling window
	MaxProbeFields  = 32          // distinct field names kept per probe
	MaxProbeNameLen = 256         // bytes of a probe or field name; longer ones are cut
)

// ProbesRequest asks for the agent's probes, sampled for Window.
type ProbesRequest struct {
	Patterns []string      // probes to list and sample; none: all
	Window   time.Duration // how long to count hits, at most MaxProbeWindow; 0: list only
	Flags    uint64        // none defined: an agent ignores bits it does not know
}

// Append appends the encoded message to b.
func (m *ProbesRequest) Append(b []byte) []byte {
	b = appendStrings(b, m.Patterns)
	b = binary.AppendUvarint(b, uint64(m.Window/time.Millisecond))
	return binary.AppendUvarint(b, m.Flags)
}

// Decode decodes p into m.
func (m *ProbesRequest) Decode(p []byte) error {
	d := decoder{b: p}
	m.Patterns = d.strings("patterns")
	if d.err == nil && len(m.Patterns) > MaxDumpPatterns {
		d.fail("patterns: too many")
	}
	ms := d.uvarint("window")
	if d.err == nil && ms > uint64(MaxProbeWindow/time.Millisecond) {
		d.fail("window: too long")
	}
	m.Window = time.Duration(ms) * time.Millisecond
	m.Flags = d.uvarint("flags")
	return d.end("ProbesRequest")
}

// ProbeField is a field name seen on a probe's events, with the kinds of
// value it had: bit k set for ValueKind k (KindInt, KindString...).
type ProbeField struct {
	Name  string
	Kinds uint64
}

// ProbeInfo is one probe of the catalogue.
type ProbeInfo struct {
	Name   string
	Hits   uint64       // events in the window
	Fields []ProbeField // seen in a sample of them, at most MaxProbeFields
}

// ProbeList is a part of the answer to ProbesRequest.
type ProbeList struct {
	Window time.Duration // the window actually sampled
	Probes []ProbeInfo
	More   bool // another ProbeList follows
}

// Append appends the encoded message to b.
func (m *ProbeList) Append(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(m.Window/time.Millisecond))
	b = binary.AppendUvarint(b, uint64(len(m.Probes)))
	for _, p := range m.Probes {
		b = appendString(b, p.Name)
		b = binary.AppendUvarint(b, p.Hits)
		b = binary.AppendUvarint(b, uint64(len(p.Fields)))
		for _, f := range p.Fields {
			b = binary.AppendUvarint(appendString(b, f.Name), f.Kinds)
		}
	}
	more := byte(0)
	if m.More {
		more = 1
	}
	return append(b, more)
}

// Decode decodes p into m.
func (m *ProbeList) Decode(p []byte) error {
	d := decoder{b: p}
	m.Window = time.Duration(d.uvarint("window")&(1<<32-1)) * time.Millisecond
	n := d.uvarint("probes")
	if n > uint64(len(d.b)) { // every probe takes at least three bytes
		d.fail("probes")
	}
	m.Probes = nil
	for i := uint64(0); i < n && d.err == nil; i++ {
		info := ProbeInfo{Name: d.string("probe name"), Hits: d.uvarint("hits")}
		k := d.uvarint("fields")
		if k > MaxProbeFields {
			d.fail("fields: too many")
		}
		for j := uint64(0); j < k && d.err == nil; j++ {
			info.Fields = append(info.Fields, ProbeField{Name: d.string("field name"), Kinds: d.uvarint("kinds")})
		}
		m.Probes = append(m.Probes, info)
	}
	switch d.byte("more") {
	case 0:
		m.More = false
	case 1:
		m.More = true
	default:
		d.fail("more")
	}
	return d.end("ProbeList")
}

// kindNames names the value kinds as jstrace probes prints them.
var kindNames = [...]string{
	KindNil: "nil", KindFalse: "bool", KindTrue: "bool", KindInt: "int", KindUint: "uint",
	KindFloat: "float", KindString: "string", KindBytes: "bytes", KindTime: "time",
	KindDuration: "duration", KindError: "error", KindList: "list", KindMap: "map",
}

// KindNames returns the names of the kinds set in a ProbeField's Kinds,
// without repeats ("bool" once for false and true), in tag order; a bit
// of no known kind is named "?".
func KindNames(bits uint64) []string {
	var out []string
	for k := 0; k < 64; k++ {
		if bits&(1<<k) == 0 {
			continue
		}
		name := "?"
		if k < len(kindNames) {
			name = kindNames[k]
		}
		if len(out) == 0 || out[len(out)-1] != name {
			out = append(out, name)
		}
	}
	return out
}
