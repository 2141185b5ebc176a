package recording

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// A Writer writes a recording. It is not safe for concurrent use: callers
// that write from several goroutines serialise their calls.
type Writer struct {
	bw      *bufio.Writer
	gz      *gzip.Writer // nil: not compressed
	file    *os.File     // nil: not Create's
	line    []byte
	records uint64
	dropped uint64
	err     error // the first write error: every later call returns it
	closed  bool
}

// NewWriter writes the header h to w and returns a Writer of records to
// it. Close ends the recording; it does not close w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	return newWriter(w, nil, nil, h)
}

// NewGzipWriter is NewWriter, compressing the recording with gzip.
func NewGzipWriter(w io.Writer, h Header) (*Writer, error) {
	gz := gzip.NewWriter(w)
	return newWriter(gz, gz, nil, h)
}

// Create creates (or truncates) the file path and writes a recording to
// it, compressed if path ends in ".gz". Close closes the file.
func Create(path string, h Header) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return NewFileWriter(f, strings.HasSuffix(path, ".gz"), h)
}

// NewFileWriter is Create for a file already open for writing (a
// temporary file renamed into place once complete, say), compressed if
// gzipped. Close closes f, as it does on error.
func NewFileWriter(f *os.File, gzipped bool, h Header) (*Writer, error) {
	var w *Writer
	var err error
	if gzipped {
		gz := gzip.NewWriter(f)
		w, err = newWriter(gz, gz, f, h)
	} else {
		w, err = newWriter(f, nil, f, h)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func newWriter(w io.Writer, gz *gzip.Writer, f *os.File, h Header) (*Writer, error) {
	h.Version = Version
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	h.Created = h.Created.UTC()
	hdr, err := json.Marshal(struct {
		Jstrace string `json:"jstrace"`
		Header
	}{magic, h})
	if err != nil {
		return nil, fmt.Errorf("encode recording header: %w", err)
	}
	rw := &Writer{bw: bufio.NewWriterSize(w, 64<<10), gz: gz, file: f}
	rw.write(append(hdr, '\n'))
	return rw, rw.err
}

func (w *Writer) write(b []byte) {
	if w.err == nil {
		if _, err := w.bw.Write(b); err != nil {
			w.err = fmt.Errorf("write recording: %w", err)
		}
	}
}

// Write adds a record. A malformed event record is an error and is not
// written (the recording stays valid); an error writing is returned by
// this and every later call.
func (w *Writer) Write(r Record) error {
	if w.closed {
		return fmt.Errorf("write recording: closed")
	}
	if w.err != nil {
		return w.err
	}
	line, err := appendRecordJSON(w.line[:0], r)
	if err != nil {
		return fmt.Errorf("record %s/%s/%d: %w", r.Hostname, r.Title, r.PID, err)
	}
	w.line = append(line, '\n')
	if cap(w.line) > 1<<20 {
		defer func() { w.line = nil }() // keep no large buffer after a large record
	}
	w.write(w.line)
	if w.err == nil {
		w.records++
	}
	return w.err
}

// AddDropped counts n events lost while recording, for the end line.
func (w *Writer) AddDropped(n uint64) { w.dropped += n }

// Records returns the number of records written.
func (w *Writer) Records() uint64 { return w.records }

// Flush writes what is buffered to the underlying writer (through gzip's
// flush if compressed), so that a reader sees every record written so far.
func (w *Writer) Flush() error {
	if w.err == nil {
		if err := w.bw.Flush(); err != nil {
			w.err = fmt.Errorf("write recording: %w", err)
		}
	}
	if w.err == nil && w.gz != nil {
		if err := w.gz.Flush(); err != nil {
			w.err = fmt.Errorf("write recording: %w", err)
		}
	}
	return w.err
}

// Close writes the end line, with the counts of records and dropped
// events, flushes, ends the gzip stream, and closes the file of Create.
// It returns the first error of the Writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	end, _ := json.Marshal(struct {
		End Trailer `json:"end"`
	}{Trailer{Records: w.records, Dropped: w.dropped}})
	w.write(append(end, '\n'))
	w.Flush()
	if w.gz != nil {
		if err := w.gz.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("write recording: %w", err)
		}
	}
	if w.file != nil {
		if err := w.file.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("write recording: %w", err)
		}
	}
	return w.err
}
