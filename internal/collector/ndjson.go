package collector

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Version is the version of the jstrace span format this package reads
// and writes: the header line of a body is {"jstrace_spans":1}.
const Version = 1

// HeaderKey is the key of a body's header line.
const HeaderKey = "jstrace_spans"

// Errors of a whole request (each wrapped with details).
var (
	// ErrTooLarge: the body passed Limits.MaxBodyBytes (HTTP 413).
	ErrTooLarge = errors.New("body too large")
	// ErrHeader: the body does not start with a header line of a version
	// this collector reads (HTTP 400).
	ErrHeader = errors.New("bad header")
	// ErrMalformed: the body cannot be read at all (HTTP 400).
	ErrMalformed = errors.New("malformed body")
)

// maxErrors bounds the line errors a Result keeps for the response.
const maxErrors = 10

// A Result is what a decoder made of a request: the valid spans, and
// what it rejected and why. It is not safe for concurrent use.
type Result struct {
	Spans    []tracestore.Span
	Rejected int
	// Reasons counts the rejected spans by reason (the Reason constants).
	Reasons map[string]int
	// Errors are the first rejections (at most 10), with their line in an
	// NDJSON body (1 is the header; 0 in an OTLP body).
	Errors []LineError
}

// A LineError says why a span was rejected. It is a plain value.
type LineError struct {
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (r *Result) reject(line int, reason string, n int) {
	if n <= 0 {
		return
	}
	r.Rejected += n
	if r.Reasons == nil {
		r.Reasons = map[string]int{}
	}
	r.Reasons[reason] += n
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, LineError{Line: line, Reason: reason})
	}
}

// add keeps s if it is valid and within the request's span count.
func (r *Result) add(s tracestore.Span, line int, l *Limits) {
	if len(r.Spans) >= l.MaxSpans {
		r.reject(line, ReasonTooMany, 1)
		return
	}
	if reason := check(&s, l); reason != "" {
		r.reject(line, reason, 1)
		return
	}
	Normalize(&s)
	r.Spans = append(r.Spans, s)
}

// DecodeNDJSON reads a body in the jstrace span format: a header line
// {"jstrace_spans":1}, then one span (tracestore.Span's JSON) a line.
// Blank lines are skipped. It fails only when the body is over
// l.MaxBodyBytes (ErrTooLarge), when its header is missing or of another
// version (ErrHeader), or when reading fails; a bad span is rejected and
// counted in the Result, and the rest are read.
func DecodeNDJSON(r io.Reader, l Limits) (*Result, error) {
	l = l.resolve()
	lr := &limitedReader{r: r, n: l.MaxBodyBytes}
	br := bufio.NewReaderSize(lr, 64<<10)
	res := &Result{}
	header := false
	for line := 1; ; line++ {
		b, tooLong, err := readLine(br, l.MaxLineBytes)
		if lr.over {
			return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, l.MaxBodyBytes)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if b = bytes.TrimSpace(b); len(b) > 0 || tooLong {
			switch {
			case !header:
				if err := checkHeader(b, tooLong); err != nil {
					return nil, err
				}
				header = true
			case tooLong:
				res.reject(line, ReasonLine, 1)
			default:
				var s tracestore.Span
				if json.Unmarshal(b, &s) != nil {
					res.reject(line, ReasonJSON, 1)
				} else {
					res.add(s, line, &l)
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !header {
		return nil, fmt.Errorf("%w: empty body, want a first line {%q:%d}", ErrHeader, HeaderKey, Version)
	}
	return res, nil
}

func checkHeader(b []byte, tooLong bool) error {
	var h struct {
		V *int `json:"jstrace_spans"`
	}
	if tooLong || json.Unmarshal(b, &h) != nil || h.V == nil {
		return fmt.Errorf("%w: the first line must be {%q:%d}", ErrHeader, HeaderKey, Version)
	}
	if *h.V != Version {
		return fmt.Errorf("%w: version %d, this collector reads version %d", ErrHeader, *h.V, Version)
	}
	return nil
}

// readLine returns the next line without its newline, at most max bytes:
// a longer line is skipped to its end and reported tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 { // +1: the newline
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(buf, []byte("\n")), tooLong, err
	}
}

// limitedReader reads at most n bytes, and notes whether there were more.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := io.ReadFull(l.r, one[:]); k > 0 {
			l.over = true
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// EncodeNDJSON writes spans in the jstrace span format: the header line,
// then one span a line.
func EncodeNDJSON(w io.Writer, spans []tracestore.Span) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{%q:%d}\n", HeaderKey, Version)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range spans {
		if err := enc.Encode(&spans[i]); err != nil {
			return fmt.Errorf("encode span: %w", err)
		}
	}
	return bw.Flush()
}
