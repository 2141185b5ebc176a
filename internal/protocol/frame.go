package protocol

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Version is the protocol version this package speaks.
const Version byte = 2

// magic starts every connection, in both directions.
var magic = [4]byte{'J', 'S', 'T', 'R'}

// MaxFrameSize bounds a frame's payload.
const MaxFrameSize = 4 << 20

// WritePreamble writes the connection preamble: magic and version.
func WritePreamble(w io.Writer) error {
	_, err := w.Write(AppendPreamble(nil))
	return err
}

// AppendPreamble appends the connection preamble to b.
func AppendPreamble(b []byte) []byte {
	return append(append(b, magic[:]...), Version)
}

// ReadPreamble reads the peer's preamble and returns its version. It returns
// an error wrapping ErrBadMagic if the peer is not a jstrace peer and one
// wrapping ErrVersion (with the peer's version) if it speaks another version.
func ReadPreamble(r io.Reader) (byte, error) {
	var p [5]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return 0, fmt.Errorf("read preamble: %w", err)
	}
	if [4]byte(p[:4]) != magic {
		return 0, ErrBadMagic
	}
	if p[4] != Version {
		return p[4], fmt.Errorf("%w: peer speaks %d, we speak %d", ErrVersion, p[4], Version)
	}
	return p[4], nil
}

// StreamKind is the first byte the CLI writes on each stream it opens.
type StreamKind byte

// Streams of a connection.
const (
	StreamControl StreamKind = 0x01
	StreamEvents  StreamKind = 0x02
	StreamConsole StreamKind = 0x03
)

// FrameType identifies a frame's payload.
type FrameType byte

// Frame types. See docs/protocol.md for their payloads.
const (
	FrameHello    FrameType = 0x01
	FrameWelcome  FrameType = 0x02
	FrameAttach   FrameType = 0x03
	FrameAttached FrameType = 0x04
	FrameStop     FrameType = 0x05
	FrameDone     FrameType = 0x06
	FrameError    FrameType = 0x07
	FrameStats    FrameType = 0x08
	FrameEvents   FrameType = 0x10
	FrameConsole  FrameType = 0x20
)

var frameNames = map[FrameType]string{
	FrameHello: "Hello", FrameWelcome: "Welcome", FrameAttach: "Attach",
	FrameAttached: "Attached", FrameStop: "Stop", FrameDone: "Done",
	FrameError: "Error", FrameStats: "Stats", FrameEvents: "Events",
	FrameConsole: "Console", FrameWarning: "Warning",
}

func (t FrameType) String() string {
	if s, ok := frameNames[t]; ok {
		return s
	}
	return fmt.Sprintf("FrameType(%#x)", byte(t))
}

// AppendFrame appends a frame with the given type and payload to b.
func AppendFrame(b []byte, t FrameType, payload []byte) []byte {
	b = append(b, byte(t))
	b = binary.AppendUvarint(b, uint64(len(payload)))
	return append(b, payload...)
}

// WriteFrame writes one frame to w in a single Write call.
func WriteFrame(w io.Writer, t FrameType, payload []byte) error {
	return WriteFrameAfter(w, nil, t, payload)
}

// WriteFrameAfter writes pre and then one frame, in one write (the
// agent's preamble with its first answer).
func WriteFrameAfter(w io.Writer, pre []byte, t FrameType, payload []byte) error {
	if len(payload) > MaxFrameSize {
		return fmt.Errorf("write %v frame of %d bytes: %w", t, len(payload), ErrTooLarge)
	}
	b := append(make([]byte, 0, len(pre)+len(payload)+binary.MaxVarintLen32+1), pre...)
	_, err := w.Write(AppendFrame(b, t, payload))
	return err
}

// A FrameReader reads frames from a stream. It is not safe for concurrent
// use.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
	max int
}

// NewFrameReader returns a FrameReader reading from r, accepting frames of
// up to MaxFrameSize, through a 16 KiB buffer: for a stream of many small
// frames (events), a read of r for many.
func NewFrameReader(r io.Reader) *FrameReader { return NewFrameReaderSize(r, 16<<10) }

// SmallBuffer is a FrameReader's buffer for a stream of few frames (the
// control and console streams): a frame's payload larger than the buffer
// is read from r directly, so the buffer only sets how many frames one
// read of r can bring. A buffer costs its pages where it is read into,
// and first-touched pages are dear on some machines (bench/README.md).
const SmallBuffer = 1 << 10

// NewFrameReaderSize is NewFrameReader with a buffer of size bytes.
func NewFrameReaderSize(r io.Reader, size int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, size), max: MaxFrameSize}
}

// SetMaxSize lowers (or restores, up to MaxFrameSize) the largest payload
// ReadFrame accepts: an agent accepts only small frames from a peer that has
// not authenticated yet.
func (fr *FrameReader) SetMaxSize(n int) { fr.max = min(n, MaxFrameSize) }

// readChunk is how much of a payload is read at a time: memory grows with
// the bytes that actually arrive, not with the length a peer announces.
const readChunk = 64 << 10

// ReadFrame reads the next frame. The payload is valid until the next call.
// At the end of the stream it returns io.EOF; a frame cut short returns
// io.ErrUnexpectedEOF, an unknown type or oversized length an error wrapping
// ErrMalformed or ErrTooLarge.
func (fr *FrameReader) ReadFrame() (FrameType, []byte, error) {
	t, buf, err := readFrame(fr.r, fr.max, fr.buf)
	if buf != nil {
		fr.buf = buf
	}
	return t, buf, err
}

// ReadFrameExact reads one frame of at most max bytes from r without
// reading past it (r a byte at a time, then the payload): the handshake
// frames on a raw connection, or on a BufConn, which keeps what it read
// ahead for the multiplexer that takes the connection over.
func ReadFrameExact(r io.Reader, max int) (FrameType, []byte, error) {
	return readFrame(byteReader{r}, min(max, MaxFrameSize), nil)
}

// byteReader reads one byte at a time from an unbuffered reader.
type byteReader struct{ io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var c [1]byte
	_, err := io.ReadFull(b.Reader, c[:])
	return c[0], err
}

func readFrame(r io.ByteReader, max int, buf []byte) (FrameType, []byte, error) {
	tb, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	t := FrameType(tb)
	if _, ok := frameNames[t]; !ok {
		return 0, nil, fmt.Errorf("%w: unknown frame type %#x", ErrMalformed, tb)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, fmt.Errorf("read %v frame length: %w", t, noEOF(err))
	}
	if n > uint64(max) {
		return 0, nil, fmt.Errorf("%v frame of %d bytes, limit %d: %w", t, n, max, ErrTooLarge)
	}
	rd := r.(io.Reader)
	buf = buf[:0]
	for len(buf) < int(n) {
		k := len(buf)
		buf = slices.Grow(buf, min(int(n)-k, readChunk))
		buf = buf[:k+min(int(n)-k, readChunk)]
		if _, err := io.ReadFull(rd, buf[k:]); err != nil {
			return 0, nil, fmt.Errorf("read %v frame: %w", t, noEOF(err))
		}
	}
	if buf == nil {
		buf = []byte{}
	}
	return t, buf, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// A Message is a control or console message that can encode itself.
type Message interface {
	Append(b []byte) []byte
}

// A FrameWriter writes frames to a stream, one Write call per frame. It is
// safe for concurrent use.
type FrameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewFrameWriter returns a FrameWriter writing to w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// Send writes one frame with the encoded message m (nil for an empty
// payload).
func (fw *FrameWriter) Send(t FrameType, m Message) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var payload []byte
	if m != nil {
		payload = m.Append(fw.buf[:0])
		fw.buf = payload
	}
	return WriteFrame(fw.w, t, payload)
}
