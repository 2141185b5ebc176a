package protocol

import "encoding/binary"

// FrameWarning carries a Warning on the control stream, from the agent to
// a CLI that set AttachWarnings.
const FrameWarning FrameType = 0x09

// AttachWarnings asks the agent for Warning messages. Without it the agent
// sends none: a CLI that does not know them would end the session on an
// unexpected frame.
const AttachWarnings = 1 << 1

// WarningKind says what a Warning is about.
type WarningKind uint64

// Warning kinds. A receiver ignores kinds it does not know.
const (
	// WarnNoProbe: Pattern, a pattern of Remote (traces.On or Aggregate),
	// matched none of the process's probes; Near are probe names close to
	// it.
	WarnNoProbe WarningKind = 1
	// WarnNoField: the Aggregation of Pattern got traces, none of which
	// had Field; Near are field names they had.
	WarnNoField WarningKind = 2
)

// Warning is a likely mistake of the script that the agent noticed, such as
// a misspelt probe name: a session that would otherwise print nothing
// says why. An agent sends each at most once per session.
type Warning struct {
	Kind    WarningKind
	Pattern string
	Field   string   // WarnNoField only
	Near    []string // near misses, closest first
}

// Append appends the encoded message to b.
func (m *Warning) Append(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(m.Kind))
	b = appendString(b, m.Pattern)
	b = appendString(b, m.Field)
	return appendStrings(b, m.Near)
}

// Decode decodes p into m.
func (m *Warning) Decode(p []byte) error {
	d := decoder{b: p}
	m.Kind = WarningKind(d.uvarint("kind"))
	m.Pattern = d.string("pattern")
	m.Field = d.string("field")
	m.Near = d.strings("near")
	return d.end("Warning")
}
