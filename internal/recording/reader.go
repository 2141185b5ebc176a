package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A Reader reads a recording, gzip-compressed or not, line by line: its
// memory is bounded by MaxLine whatever the file holds. It is not safe for
// concurrent use.
type Reader struct {
	br      *bufio.Reader
	closer  io.Closer // Open's file, or nil
	header  Header
	trailer *Trailer
	records uint64
	line    int   // number of the line last read
	offset  int64 // where it starts
	next    int64 // where the next one starts
	buf     []byte
	err     error // sticky: io.EOF after the end line, or a *FileError
}

// Open opens the recording at path. Close closes the file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a recording's header from r and returns a Reader of its
// records. A file that is not a recording, or is of a newer version, is an
// error (a *FileError wrapping ErrNotRecording or ErrVersion).
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FileError{Line: 1, Err: fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)}
		}
		gz.Multistream(false)
		br = bufio.NewReaderSize(gz, 64<<10)
	}
	rd := &Reader{br: br}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

func (r *Reader) readHeader() error {
	line, err := r.readLine()
	if err == io.EOF {
		return r.errorf(ErrNotRecording, "the file is empty")
	}
	if err != nil {
		if errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt) {
			return r.errorf(ErrNotRecording, "no recording header on the first line")
		}
		return err
	}
	var h struct {
		Jstrace string `json:"jstrace"`
		Header
	}
	if json.Unmarshal(line, &h) != nil || h.Jstrace != magic {
		return r.errorf(ErrNotRecording, "no recording header on the first line")
	}
	switch {
	case h.Version > Version:
		return r.errorf(ErrVersion, "%d (this jstrace reads %d and older): upgrade jstrace", h.Version, Version)
	case h.Version < 1:
		return r.errorf(ErrCorrupt, "bad version %d", h.Version)
	}
	r.header = h.Header
	return nil
}

// Header returns the recording's header.
func (r *Reader) Header() Header { return r.header }

// Trailer returns the recording's end line, once Next has returned io.EOF.
func (r *Reader) Trailer() (Trailer, bool) {
	if r.trailer == nil {
		return Trailer{}, false
	}
	return *r.trailer, true
}

// Next returns the next record, or io.EOF after the end line. Its Event is
// a well-formed wire event record of its own, which the caller may keep.
// Any other error is a *FileError; it is returned again by every later
// call. A file that ends before its end line is ErrTruncated.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.next1()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next1() (Record, error) {
	line, err := r.readLine()
	if err == io.EOF {
		if r.trailer == nil {
			return Record{}, r.errorf(ErrTruncated, "the file ends after %d records, without its end line", r.records)
		}
		return Record{}, io.EOF
	}
	if err != nil {
		return Record{}, err
	}
	if r.trailer != nil {
		return Record{}, r.errorf(ErrCorrupt, "a line after the end line")
	}
	l, err := parseLine(line)
	if err != nil {
		return Record{}, r.errorf(ErrCorrupt, "%v", err)
	}
	if l.End != nil {
		if l.End.Records != r.records {
			return Record{}, r.errorf(ErrCorrupt, "the end line counts %d records, the file has %d", l.End.Records, r.records)
		}
		r.trailer = l.End
		return r.next1()
	}
	ev, err := parseRecord(nil, l)
	if err == nil {
		_, err = protocol.ParseRecord(ev) // the wire's own check, whatever parseRecord let through
	}
	if err != nil {
		return Record{}, r.errorf(ErrCorrupt, "%v", err)
	}
	r.records++
	return Record{Hostname: l.Host, Title: l.Title, PID: l.PID, Event: ev}, nil
}

// readLine reads the next line, without its end, of at most MaxLine
// bytes. It returns io.EOF at the end of the file, and a *FileError
// wrapping ErrTruncated for a last line with no newline.
func (r *Reader) readLine() ([]byte, error) {
	r.line++
	r.offset = r.next
	r.buf = r.buf[:0]
	if cap(r.buf) > 1<<20 {
		r.buf = nil
	}
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > MaxLine+1 {
			return nil, r.errorf(ErrCorrupt, "line longer than %d bytes", MaxLine)
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case err == nil:
			r.next += int64(len(r.buf))
			line := bytes.TrimSuffix(r.buf[:len(r.buf)-1], []byte{'\r'})
			if len(line) == 0 {
				return nil, r.errorf(ErrCorrupt, "empty line")
			}
			return line, nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(r.buf) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, r.errorf(ErrTruncated, "the last line is cut short after %d bytes", len(r.buf))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, r.errorf(ErrTruncated, "the compressed file is cut short")
		case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
			return nil, r.errorf(ErrCorrupt, "%v", err)
		default:
			return nil, &FileError{Line: r.line, Offset: r.offset, Err: err}
		}
	}
}

func (r *Reader) errorf(kind error, format string, args ...any) error {
	return &FileError{Line: r.line, Offset: r.offset, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// Close closes the file of Open; it does nothing for NewReader's.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}
