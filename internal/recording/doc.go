// Package recording reads and writes jstrace recordings: the files of
// jstrace record (and jstrace dump), which jstrace replay feeds to a
// script. docs/recording.md specifies the format.
//
// A recording is NDJSON, optionally gzip-compressed: a header line, one
// line per trace with its origin (host, title, pid), probe name, time and
// fields, each field with the kind of value the wire protocol gave it, and
// an end line with the count of records and of the events lost while
// recording. Traces enter and leave as wire event records
// (protocol.ParseRecord's input), so that a replayed trace is the trace a
// live session would have seen.
package recording

import (
	"errors"
	"fmt"
	"time"
)

// Version is the format version this package writes and the newest it
// reads.
const Version = 1

// magic is the value of the header's "jstrace" member.
const magic = "recording"

// Bounds on what a Reader accepts, whatever the file says.
const (
	// MaxLine is the longest line a Reader reads: a record of
	// MaxRecordBytes whose every byte JSON escapes fits.
	MaxLine = 8 << 20
	// MaxRecordBytes is the largest event record, encoded for the wire,
	// a Reader returns: the agent's jstrace.MaxRecordSize.
	MaxRecordBytes = 1 << 20
	// MaxDepth is how deeply lists and maps may nest in a field's value:
	// the wire protocol's bound.
	MaxDepth = 64
)

// Header is the first line of a recording.
type Header struct {
	// Version is the format version; NewWriter writes Version whatever it
	// is set to.
	Version int `json:"version"`
	// Created is when the recording started. Default (zero): NewWriter
	// writes the current time.
	Created time.Time `json:"created"`
	// Source says what wrote the file, e.g. "jstrace record". Default "":
	// left out.
	Source string `json:"source,omitempty"`
	// Globs are the probe globs recorded. Default nil: left out.
	Globs []string `json:"globs,omitempty"`
}

// A Record is one trace: where it comes from and the event record the
// agent sent, encoded for the wire (see protocol.ParseRecord; its kind is
// protocol.RecordEvent or RecordEmit).
type Record struct {
	Hostname string
	Title    string
	PID      int
	Event    []byte
}

// Trailer is the last line of a recording, written by Writer.Close.
type Trailer struct {
	// Records is the number of records in the file.
	Records uint64 `json:"records"`
	// Dropped is the number of events lost while recording (agents'
	// buffers full, malformed records): they are not in the file.
	Dropped uint64 `json:"dropped"`
}

// Errors of a Reader, wrapped in a *FileError that says where.
var (
	// ErrNotRecording: the file does not start with a recording's header.
	ErrNotRecording = errors.New("not a jstrace recording")
	// ErrVersion: the file is of a newer format version than Version.
	ErrVersion = errors.New("unsupported recording version")
	// ErrTruncated: the file ends before its end line, as when a
	// recording was cut short (disk full, killed, copied in part).
	ErrTruncated = errors.New("recording is truncated")
	// ErrCorrupt: a line is not what the format says.
	ErrCorrupt = errors.New("corrupt recording")
)

// A FileError is an error reading a recording, with the place it occurred.
type FileError struct {
	// Line is the line's number, from 1.
	Line int
	// Offset is the byte offset where the line starts, in the
	// uncompressed text.
	Offset int64
	// Err wraps one of ErrNotRecording, ErrVersion, ErrTruncated,
	// ErrCorrupt, or the underlying reader's error.
	Err error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %v", e.Line, e.Offset, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }
