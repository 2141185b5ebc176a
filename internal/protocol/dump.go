package protocol

import "encoding/binary"

// The flight recorder's exchange (jstrace dump): instead of Attach, the CLI
// sends Dump on the control stream; the agent answers Flight, then the
// records in Events frames on the same stream, or Error (CodeNoFlight if
// it has no recorder). An agent that predates Dump reads an unknown frame
// type and closes the connection without an answer: the CLI reports that
// the agent predates the flight recorder. See docs/protocol.md.
const (
	FrameDump   FrameType = 0x30
	FrameFlight FrameType = 0x31
)

// CodeNoFlight refuses a Dump: the agent keeps no flight recorder.
const CodeNoFlight ErrorCode = 6

func init() {
	frameNames[FrameDump] = "Dump"
	frameNames[FrameFlight] = "Flight"
}

// MaxDumpPatterns bounds the patterns of a Dump.
const MaxDumpPatterns = 64

// MaxFlightSize is the largest flight recorder (agent.MaxFlightSize): a
// Flight announces at most that many bytes of records, which bounds what a
// CLI holds of one agent's dump.
const MaxFlightSize = 1 << 30

// Dump asks for the agent's flight recorder.
type Dump struct {
	Patterns []string // only the records of probes matching one of these; none: all
	Flags    uint64   // none defined: an agent ignores bits it does not know
}

// Append appends the encoded message to b.
func (m *Dump) Append(b []byte) []byte {
	return binary.AppendUvarint(appendStrings(b, m.Patterns), m.Flags)
}

// Decode decodes p into m.
func (m *Dump) Decode(p []byte) error {
	d := decoder{b: p}
	m.Patterns = d.strings("patterns")
	if d.err == nil && len(m.Patterns) > MaxDumpPatterns {
		d.fail("patterns: too many")
	}
	m.Flags = d.uvarint("flags")
	return d.end("Dump")
}

// Flight heads the answer to a Dump: the recorder's configuration and
// counters, and what follows in Events frames.
type Flight struct {
	Size        uint64   // the recorder's memory in bytes
	Probes      []string // the patterns of the probes it records
	Started     int64    // when it started, Unix nanoseconds
	Written     uint64   // records written since it started
	Overwritten uint64   // records overwritten by newer ones (or older than the answer's window)
	Dropped     uint64   // records too large to keep
	Records     uint64   // records in the Events frames that follow
	Bytes       uint64   // their total size, length prefixes included
}

// Append appends the encoded message to b.
func (m *Flight) Append(b []byte) []byte {
	b = binary.AppendUvarint(b, m.Size)
	b = appendStrings(b, m.Probes)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Started))
	for _, v := range []uint64{m.Written, m.Overwritten, m.Dropped, m.Records, m.Bytes} {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// Decode decodes p into m.
func (m *Flight) Decode(p []byte) error {
	d := decoder{b: p}
	m.Size = d.uvarint("size")
	m.Probes = d.strings("probes")
	m.Started = d.int64le("started")
	m.Written = d.uvarint("written")
	m.Overwritten = d.uvarint("overwritten")
	m.Dropped = d.uvarint("dropped")
	m.Records = d.uvarint("records")
	m.Bytes = d.uvarint("bytes")
	switch {
	case d.err != nil:
	case m.Records > m.Bytes:
		d.fail("records: more than bytes")
	case m.Size > MaxFlightSize:
		d.fail("size: over 1 GiB")
	case m.Bytes > m.Size:
		d.fail("bytes: more than the recorder's size")
	}
	return d.end("Flight")
}
