package protocol

import (
	"encoding/binary"
	"fmt"
)

// Hello is the CLI's first message on the control stream.
type Hello struct {
	Token  string // the agent's token, if it has one
	Secret string // the secret of the agent's discovery file, if read
	Client string // the CLI's version, for the agent's log
}

// Append appends the encoded message to b.
func (m *Hello) Append(b []byte) []byte {
	return appendString(appendString(appendString(b, m.Token), m.Secret), m.Client)
}

// Decode decodes p into m.
func (m *Hello) Decode(p []byte) error {
	d := decoder{b: p}
	m.Token = d.string("token")
	m.Secret = d.string("secret")
	m.Client = d.string("client")
	return d.end("Hello")
}

// Welcome is the agent's answer to Hello: who it is and what it has.
type Welcome struct {
	Agent    string   // the agent's version
	PID      int      // process id
	Title    string   // process title
	Hostname string   // host name
	Addr     string   // address the agent listens on
	Sessions int      // sessions attached, this one excluded
	Probes   []string // names of the registered probes, sorted
}

// Append appends the encoded message to b.
func (m *Welcome) Append(b []byte) []byte {
	b = appendString(b, m.Agent)
	b = binary.AppendUvarint(b, uint64(m.PID))
	b = appendString(b, m.Title)
	b = appendString(b, m.Hostname)
	b = appendString(b, m.Addr)
	b = binary.AppendUvarint(b, uint64(m.Sessions))
	return appendStrings(b, m.Probes)
}

// Decode decodes p into m.
func (m *Welcome) Decode(p []byte) error {
	d := decoder{b: p}
	m.Agent = d.string("agent")
	m.PID = int(d.uvarint("pid") & (1<<31 - 1))
	m.Title = d.string("title")
	m.Hostname = d.string("hostname")
	m.Addr = d.string("addr")
	m.Sessions = int(d.uvarint("sessions") & (1<<31 - 1))
	m.Probes = d.strings("probes")
	return d.end("Welcome")
}

// Attach flags.
const (
	// AttachStats asks the agent for a Stats message every second.
	AttachStats = 1 << 0
	// AttachArgs says the script's arguments follow the flags. A CLI
	// sets it only when there are arguments, so an Attach without them is
	// what agents that predate arguments read; those refuse one with them
	// (trailing bytes), which the CLI reports as the agent being too old.
	AttachArgs = 1 << 2
	// AttachGroups says the CLI reads values of KindGroups, the groups a
	// remote script ships (traces.Ship): an agent lets Ship send only to
	// a CLI that sets it, and fails the script with a clear message
	// otherwise. Agents that predate it ignore it.
	AttachGroups = 1 << 4
)

// Bounds of a script's arguments (jstrace script.go -- args...), checked
// by the CLI and by the agent's decoder.
const (
	MaxArgs      = 64      // arguments
	MaxArgsBytes = 4 << 10 // their total length in bytes
)

// Attach starts a tracing session: the script, and the probes its Local
// function wants raw.
type Attach struct {
	Name          string   // script file name, for messages
	Source        string   // script source
	LocalPatterns []string // globs of probes to forward as-is
	Flags         uint64   // Attach* bits; Append sets AttachArgs when Args is not empty
	Args          []string // the script's arguments (traces.Args), at most MaxArgs, MaxArgsBytes in all
}

// Append appends the encoded message to b.
func (m *Attach) Append(b []byte) []byte {
	b = appendString(b, m.Name)
	b = appendString(b, m.Source)
	b = appendStrings(b, m.LocalPatterns)
	flags := m.Flags &^ AttachArgs
	if len(m.Args) > 0 {
		flags |= AttachArgs
	}
	b = binary.AppendUvarint(b, flags)
	if len(m.Args) > 0 {
		b = appendStrings(b, m.Args)
	}
	return b
}

// Decode decodes p into m.
func (m *Attach) Decode(p []byte) error {
	d := decoder{b: p}
	m.Name = d.string("name")
	m.Source = d.string("source")
	m.LocalPatterns = d.strings("local patterns")
	m.Flags = d.uvarint("flags")
	m.Args = nil
	if m.Flags&AttachArgs != 0 {
		m.Args = d.strings("args")
		if err := CheckArgs(m.Args); d.err == nil && err != nil {
			d.err = fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if d.err == nil && len(m.Args) == 0 {
			d.err = fmt.Errorf("%w: args flag with no args", ErrMalformed)
		}
	}
	return d.end("Attach")
}

// CheckArgs reports whether args are within MaxArgs and MaxArgsBytes.
func CheckArgs(args []string) error {
	if len(args) > MaxArgs {
		return fmt.Errorf("%d script arguments, more than %d", len(args), MaxArgs)
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	if n > MaxArgsBytes {
		return fmt.Errorf("script arguments of %d bytes, more than %d", n, MaxArgsBytes)
	}
	return nil
}

// Attached confirms a session: the script loaded and Remote ran.
type Attached struct {
	RemotePatterns []string // globs the remote handlers subscribed to
}

// Append appends the encoded message to b.
func (m *Attached) Append(b []byte) []byte { return appendStrings(b, m.RemotePatterns) }

// Decode decodes p into m.
func (m *Attached) Decode(p []byte) error {
	d := decoder{b: p}
	m.RemotePatterns = d.strings("remote patterns")
	return d.end("Attached")
}

// ErrorCode classifies an Error message.
type ErrorCode uint64

// Error codes.
const (
	CodeAuth     ErrorCode = 1 // wrong or missing token
	CodeScript   ErrorCode = 2 // the script did not load
	CodeBusy     ErrorCode = 3 // too many sessions
	CodeProtocol ErrorCode = 4 // unexpected or malformed message
	CodeInternal ErrorCode = 5 // the agent failed
)

func (c ErrorCode) String() string {
	switch c {
	case CodeAuth:
		return "authentication failed"
	case CodeScript:
		return "script error"
	case CodeBusy:
		return "agent busy"
	case CodeProtocol:
		return "protocol error"
	case CodeInternal:
		return "internal error"
	case CodeNoFlight:
		return "no flight recorder"
	}
	return fmt.Sprintf("error %d", uint64(c))
}

// Error reports why the agent refused or ended a session. It implements
// the error interface.
type Error struct {
	Code    ErrorCode
	Message string
}

func (m *Error) Error() string { return m.Code.String() + ": " + m.Message }

// Append appends the encoded message to b.
func (m *Error) Append(b []byte) []byte {
	return appendString(binary.AppendUvarint(b, uint64(m.Code)), m.Message)
}

// Decode decodes p into m.
func (m *Error) Decode(p []byte) error {
	d := decoder{b: p}
	m.Code = ErrorCode(d.uvarint("code"))
	m.Message = d.string("message")
	return d.end("Error")
}

// Stats are a session's counters, sent in Stats and Done messages.
type Stats struct {
	Events         uint64 // records sent to the CLI
	Dropped        uint64 // records that did not fit in the session buffer
	HandlerDropped uint64 // events remote handlers could not keep up with
	ConsoleDropped uint64 // bytes of console output that did not fit
	Errors         uint64 // remote handler failures
	Detached       string // why the agent stopped the script, "" if it did not
}

// Append appends the encoded message to b.
func (m *Stats) Append(b []byte) []byte {
	for _, v := range []uint64{m.Events, m.Dropped, m.HandlerDropped, m.ConsoleDropped, m.Errors} {
		b = binary.AppendUvarint(b, v)
	}
	return appendString(b, m.Detached)
}

// Decode decodes p into m.
func (m *Stats) Decode(p []byte) error {
	d := decoder{b: p}
	m.Events = d.uvarint("events")
	m.Dropped = d.uvarint("dropped")
	m.HandlerDropped = d.uvarint("handler dropped")
	m.ConsoleDropped = d.uvarint("console dropped")
	m.Errors = d.uvarint("errors")
	m.Detached = d.string("detached")
	return d.end("Stats")
}

// ConsoleStream says where a line of remote console output goes.
type ConsoleStream byte

// Console streams.
const (
	ConsoleStdout ConsoleStream = 1 // traces.Log, fmt.Print*
	ConsoleStderr ConsoleStream = 2 // traces.Error
	ConsoleDir    ConsoleStream = 3 // traces.Dump (and Dir): prefixed with the process
	ConsoleFault  ConsoleStream = 4 // a remote failure: prefixed, on stderr
)

// Console is remote script output.
type Console struct {
	Stream ConsoleStream
	Text   string
}

// Append appends the encoded message to b.
func (m *Console) Append(b []byte) []byte {
	return appendString(append(b, byte(m.Stream)), m.Text)
}

// Decode decodes p into m.
func (m *Console) Decode(p []byte) error {
	d := decoder{b: p}
	m.Stream = ConsoleStream(d.byte("stream"))
	m.Text = d.string("text")
	if err := d.end("Console"); err != nil {
		return err
	}
	if m.Stream < ConsoleStdout || m.Stream > ConsoleFault {
		return fmt.Errorf("decode Console: %w: stream %d", ErrMalformed, m.Stream)
	}
	return nil
}
