package protocol

import "errors"

// Sentinel errors. What this package finds wrong with the peer's bytes is
// reported wrapping one of them; errors of the underlying stream (io.EOF at
// the end of a stream, io.ErrUnexpectedEOF for a frame cut short, network
// errors) are returned as they are, possibly wrapped.
var (
	// ErrBadMagic means the peer did not start with the jstrace preamble: it
	// is not a jstrace agent or CLI.
	ErrBadMagic = errors.New("not a jstrace peer (bad preamble)")
	// ErrVersion means the peer speaks another protocol version.
	ErrVersion = errors.New("protocol version mismatch")
	// ErrMalformed means a frame, message or record could not be decoded.
	ErrMalformed = errors.New("malformed message")
	// ErrTooLarge means a frame is larger than MaxFrameSize.
	ErrTooLarge = errors.New("frame too large")
)
