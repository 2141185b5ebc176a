package webui

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// readTimeout bounds a store read on behalf of the page.
const readTimeout = 10 * time.Second

type api struct {
	st  tracestore.Store
	log *slog.Logger
}

// A listing is what GET /api/traces answers.
type listing struct {
	List   string               `json:"list"`
	Traces []tracestore.Summary `json:"traces"`
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	q, list, err := parseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	var sums []tracestore.Summary
	switch list {
	case "slow":
		sums, err = a.st.Slow(ctx, q)
	case "errors":
		sums, err = a.st.Errors(ctx, q)
	default:
		sums, err = a.st.Recent(ctx, q)
	}
	if err != nil {
		a.log.Warn("trace store read failed", "list", list, "err", err)
		writeError(w, http.StatusBadGateway, "the trace store could not be read")
		return
	}
	if sums == nil {
		sums = []tracestore.Summary{}
	}
	writeJSON(w, listing{List: list, Traces: sums})
}

// parseQuery reads a listing's parameters; errors never quote them.
func parseQuery(r *http.Request) (tracestore.Query, string, error) {
	v := r.URL.Query()
	q := tracestore.Query{Service: v.Get("service"), Operation: v.Get("operation"), Day: v.Get("day")}
	list := v.Get("list")
	switch list {
	case "", "recent", "slow", "errors":
	default:
		return q, "", errors.New("list is recent, slow or errors")
	}
	if list == "" {
		list = "recent"
	}
	if len(q.Service) > 256 || len(q.Operation) > 256 {
		return q, "", errors.New("service and operation are at most 256 bytes")
	}
	if q.Day != "" {
		if _, err := time.Parse(time.DateOnly, q.Day); err != nil {
			return q, "", errors.New("day is YYYY-MM-DD")
		}
	}
	if s := v.Get("since"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return q, "", errors.New("since is a positive duration such as 1h or 30m")
		}
		q.Since = time.Now().Add(-d)
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > tracestore.MaxLimit {
			return q, "", errors.New("limit is 1 to " + strconv.Itoa(tracestore.MaxLimit))
		}
		q.Limit = n
	}
	return q, list, nil
}

// A traceView is what GET /api/traces/{id} answers: the spans in the
// waterfall's order, each with what the page draws.
type traceView struct {
	TraceID  string        `json:"trace_id"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Spans    []spanView    `json:"spans"`
	// Bottleneck is the span ID of the critical path's span with the most
	// self time, and that time.
	Bottleneck     string        `json:"bottleneck,omitempty"`
	BottleneckSelf time.Duration `json:"bottleneck_self_ns,omitempty"`
	Orphans        int           `json:"orphans"`
}

type spanView struct {
	tracestore.Span
	Depth int `json:"depth"`
	// Offset is from the trace's start, where the span is drawn (a span
	// of another service outside its parent is moved into it).
	Offset   time.Duration `json:"offset_ns"`
	Critical bool          `json:"critical,omitempty"`
}

func (a *api) trace(w http.ResponseWriter, r *http.Request) {
	id, err := jstrace.ParseTraceID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "a trace ID is 32 hex digits, not all zero")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	spans, err := a.st.Trace(ctx, id.String())
	if errors.Is(err, tracestore.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such trace in the store (never collected, or expired)")
		return
	}
	if err != nil {
		a.log.Warn("trace store read failed", "err", err)
		writeError(w, http.StatusBadGateway, "the trace store could not be read")
		return
	}
	writeJSON(w, view(id.String(), spans))
}

// view lays a trace out as the terminal's waterfall does.
func view(id string, spans []tracestore.Span) traceView {
	ws := make([]waterfall.Span, len(spans))
	byID := make(map[string]*tracestore.Span, len(spans))
	for i := range spans {
		s := &spans[i]
		byID[s.SpanID] = s
		ws[i] = waterfall.Span{ID: s.SpanID, Parent: s.ParentID, Service: s.Service, Operation: s.Operation,
			Start: s.Start, Duration: s.Duration, Failed: s.Error != "", Error: s.Error, ErrorType: s.ErrorType}
	}
	l := waterfall.New(ws, waterfall.Options{Bottleneck: true, Orphans: true})
	v := traceView{TraceID: id, Duration: l.Total(), Orphans: l.Orphans(), Spans: []spanView{}}
	critical := map[string]bool{}
	for _, s := range l.CriticalPath() {
		critical[s.ID] = true
	}
	if b, self, ok := l.Bottleneck(); ok {
		v.Bottleneck, v.BottleneckSelf = b.ID, self
	}
	order, depths := l.Order()
	offsets := l.Offsets() // where the terminal draws them: skewed clocks moved in
	for i, s := range order {
		if i == 0 || s.Start.Before(v.Start) {
			v.Start = s.Start
		}
	}
	for i, s := range order {
		v.Spans = append(v.Spans, spanView{Span: *byID[s.ID], Depth: depths[i], Offset: offsets[i], Critical: critical[s.ID]})
	}
	return v
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
