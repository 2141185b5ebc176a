package tracestore

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// spanCols are the spans table's columns, in spanRow's order.
const spanCols = "seq, span_id, parent_id, service, operation, start_ns, duration_ns, error, error_type, host, extra"

// readCols are the columns scanSpan reads.
const readCols = "span_id, parent_id, service, operation, start_ns, duration_ns, error, error_type, host, extra"

// extra is how a span's tags and logs are stored: JSON, NULL when none.
type extra struct {
	Tags []Tag `json:"t,omitempty"`
	Logs []Log `json:"l,omitempty"`
}

// spanRow is the values of a span's row in the spans table, its trace's
// seq (the first) left for the writer to set.
func spanRow(s *Span) ([]any, error) {
	var x []byte
	if len(s.Tags) > 0 || len(s.Logs) > 0 {
		var err error
		if x, err = json.Marshal(extra{Tags: s.Tags, Logs: s.Logs}); err != nil {
			return nil, fmt.Errorf("span %s: tags and logs: %w", s.SpanID, err)
		}
	}
	return []any{nil, s.SpanID, s.ParentID, s.Service, s.Operation,
		unixNano(s.Start), int64(s.Duration), s.Error, s.ErrorType, s.Host, x}, nil
}

// A scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanSpan reads a row of readCols, a span of trace traceID.
func scanSpan(r scanner, traceID string) (Span, error) {
	s := Span{TraceID: traceID}
	var start, d int64
	var x []byte
	if err := r.Scan(&s.SpanID, &s.ParentID, &s.Service, &s.Operation,
		&start, &d, &s.Error, &s.ErrorType, &s.Host, &x); err != nil {
		return s, err
	}
	s.Start, s.Duration = time.Unix(0, start).UTC(), time.Duration(d)
	if len(x) > 0 {
		var e extra
		if err := json.Unmarshal(x, &e); err != nil {
			return s, fmt.Errorf("span %s: tags and logs: %w", s.SpanID, err)
		}
		s.Tags, s.Logs = e.Tags, e.Logs
	}
	return s, nil
}

// summaryCols are the traces table's columns after seq and trace_id, in
// summaryRow's order.
const summaryCols = "service, operation, start_ns, first_span, end_ns, duration_ns, root, spans, errors, error, error_ns, error_span, services, expires_ns"

// A summaryRow is a trace's row in the traces table: its Summary and what
// merging further spans needs.
type summaryRow struct {
	seq                int64 // the traces table's rowid
	service, operation string
	start              int64  // earliest span start, Unix ns
	first              string // that span's ID, to break ties
	end                int64  // latest span end
	dur                int64
	root               bool
	spans, errors      int
	err                string // the earliest failed span's error
	errStart           int64
	errSpan            string
	services           []string
	expires            int64 // Unix ns: the last put + the retention of its writer
	// rootStart and rootSpan are the root's start and ID, to keep the
	// earliest of several roots whatever their order: not stored, set by
	// add and, for a trace stored before, by the writer (rootOf).
	rootStart int64
	rootSpan  string
}

// scan reads a row of summaryCols, after columns read into pre.
func (m *summaryRow) scan(r scanner, pre ...any) error {
	var services string
	if err := r.Scan(append(pre, &m.service, &m.operation, &m.start, &m.first, &m.end, &m.dur, &m.root,
		&m.spans, &m.errors, &m.err, &m.errStart, &m.errSpan, &services, &m.expires)...); err != nil {
		return err
	}
	return json.Unmarshal([]byte(services), &m.services)
}

// args are the values of summaryCols.
func (m *summaryRow) args() []any {
	services, _ := json.Marshal(m.services) // strings always marshal
	return []any{m.service, m.operation, m.start, m.first, m.end, m.dur, m.root,
		m.spans, m.errors, m.err, m.errStart, m.errSpan, string(services), m.expires}
}

// add merges a span new to the trace into its summary; first says it is
// the trace's first span.
func (m *summaryRow) add(s *Span, first bool) {
	start := unixNano(s.Start)
	end := start + int64(s.Duration)
	if end < start { // overflow
		end = math.MaxInt64
	}
	if first {
		*m = summaryRow{service: s.Service, operation: s.Operation, start: start, first: s.SpanID, end: end}
	} else {
		if start < m.start || start == m.start && s.SpanID < m.first {
			m.start, m.first = start, s.SpanID
			if !m.root {
				m.service, m.operation = s.Service, s.Operation
			}
		}
		m.end = max(m.end, end)
	}
	m.spans++
	if s.ParentID == "" && (!m.root || start < m.rootStart || start == m.rootStart && s.SpanID < m.rootSpan) {
		m.root, m.rootStart, m.rootSpan = true, start, s.SpanID
		m.service, m.operation, m.dur = s.Service, s.Operation, int64(s.Duration)
	}
	if !m.root {
		if m.dur = m.end - m.start; m.dur < 0 { // overflow
			m.dur = math.MaxInt64
		}
	}
	if s.Error != "" {
		if m.errors == 0 || start < m.errStart || start == m.errStart && s.SpanID < m.errSpan {
			m.err, m.errStart, m.errSpan = s.Error, start, s.SpanID
		}
		m.errors++
	}
	if i := sort.SearchStrings(m.services, s.Service); i == len(m.services) || m.services[i] != s.Service {
		m.services = append(m.services, "")
		copy(m.services[i+1:], m.services[i:])
		m.services[i] = s.Service
	}
}

// summary is the Summary of trace id.
func (m *summaryRow) summary(id string) Summary {
	return Summary{
		TraceID: id, Service: m.service, Operation: m.operation,
		Start: time.Unix(0, m.start).UTC(), Duration: time.Duration(m.dur),
		Spans: m.spans, Errors: m.errors, Error: m.err, Services: m.services, Root: m.root,
	}
}
