package export

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
)

// EnvCollectorEndpoint is the base URL of the `jstrace collect` receiver
// the "collector" exporter posts to.
const EnvCollectorEndpoint = "JSTRACE_COLLECTOR_ENDPOINT"

// DefaultCollectorEndpoint is where the collector exporter posts when
// neither CollectorOptions.Endpoint nor $JSTRACE_COLLECTOR_ENDPOINT is set:
// `jstrace collect --listen 127.0.0.1:4319` on this host.
const DefaultCollectorEndpoint = "http://127.0.0.1:4319"

// collectorPath is the receiver's path for the jstrace span format.
const collectorPath = "/v1/spans"

// Bounds the exporter keeps to, within the receiver's default limits
// (docs/collector-protocol.md): spans and bytes per request, tags per span.
const (
	collectorMaxTags  = 128
	collectorMaxBytes = 4 << 20
)

// CollectorOptions configure [Collector]. The zero value posts to
// $JSTRACE_COLLECTOR_ENDPOINT, else DefaultCollectorEndpoint. Collector
// reads them once; the exporter keeps its own copy (Headers included).
type CollectorOptions struct {
	// Endpoint is the collector's base URL (http or https): /v1/spans is
	// added to its path unless it ends with it. User info in it
	// (https://user:password@host) is sent as basic authentication, and
	// never appears in errors or logs, nor does its query. Default:
	// $JSTRACE_COLLECTOR_ENDPOINT, else DefaultCollectorEndpoint.
	Endpoint string
	// Headers are sent with every request (a token for a proxy in front
	// of the collector); they never appear in errors or logs. Default:
	// none.
	Headers map[string]string
	// Timeout bounds one ExportSpans call, its retries included (as the
	// context's deadline, when that is later). Default: 10s.
	Timeout time.Duration
	// BatchSize bounds the spans of one request; a larger ExportSpans is
	// posted in several. Default: 1000 (the receiver takes 10000).
	BatchSize int
	// HTTPClient sends the requests. Default: a client of its own.
	HTTPClient *http.Client
}

// Collector returns the exporter registered as "collector": it posts
// spans to a `jstrace collect --listen` receiver in the jstrace span
// format (NDJSON, docs/collector-protocol.md), one request per batch of
// at most BatchSize spans, retried while the collector answers 503 or 429
// (it is overloaded) until the timeout. Spans the collector rejects are
// reported as a *DroppedError, so the pipeline counts them. It connects
// to nothing until it exports. It is safe for concurrent use.
func Collector(o CollectorOptions) (Exporter, error) {
	raw := o.Endpoint
	if raw == "" {
		raw = strings.TrimSpace(os.Getenv(EnvCollectorEndpoint))
	}
	if raw == "" {
		raw = DefaultCollectorEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Never quote it: it may hold a password.
		return nil, errors.New("collector: endpoint is not an http or https URL with a host")
	}
	c := &collectorExporter{
		user:      u.User,
		headers:   maps.Clone(o.Headers),
		timeout:   cmp.Or(max(o.Timeout, 0), 10*time.Second),
		batchSize: cmp.Or(max(o.BatchSize, 0), 1000),
		client:    o.HTTPClient,
	}
	if c.client == nil {
		c.client = &http.Client{}
	}
	u.User = nil
	if !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), collectorPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + collectorPath
	}
	c.url = u.String()
	r := *u
	r.RawQuery, r.ForceQuery, r.Fragment, r.RawFragment = "", false, "", ""
	c.redacted = r.String()
	return c, nil
}

type collectorExporter struct {
	url      string // without user info
	redacted string // without user info nor query: the only one errors show
	user     *url.Userinfo
	headers  map[string]string

	timeout   time.Duration
	batchSize int
	client    *http.Client
	shutdown  atomic.Bool
}

// collectorResponse is the receiver's answer.
type collectorResponse struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Dropped  int `json:"dropped"`
	Errors   []struct {
		Reason string `json:"reason"`
	} `json:"errors"`
	Error string `json:"error"`
}

func (c *collectorExporter) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	if c.shutdown.Load() {
		return errors.New("collector: exporter is shut down")
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var (
		buf      bytes.Buffer
		rejected int
		n        int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		r, err := c.post(ctx, buf.Bytes())
		rejected += r
		buf.Reset()
		n = 0
		return err
	}
	for _, d := range spans {
		if d == nil {
			continue
		}
		if n == 0 {
			fmt.Fprintf(&buf, "{\"jstrace_spans\":1}\n")
		}
		if err := encodeCollectorSpan(&buf, d); err != nil {
			return fmt.Errorf("collector: %w", err)
		}
		n++
		if n >= c.batchSize || buf.Len() >= collectorMaxBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if rejected > 0 {
		return &DroppedError{Spans: rejected, Reason: "rejected by the collector as invalid"}
	}
	return nil
}

// post sends one body, retrying while the collector is overloaded, and
// returns how many spans it rejected.
func (c *collectorExporter) post(ctx context.Context, body []byte) (int, error) {
	wait := 100 * time.Millisecond
	for {
		resp, err := c.postOnce(ctx, body)
		if err != nil {
			return 0, err
		}
		if resp.code != http.StatusServiceUnavailable && resp.code != http.StatusTooManyRequests {
			return resp.result()
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("collector: %s overloaded (%d), spans dropped: %w", c.redacted, resp.code, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

type collectorAnswer struct {
	code int
	body collectorResponse
	c    *collectorExporter
}

func (a collectorAnswer) result() (int, error) {
	switch {
	case a.code == http.StatusOK:
		return a.body.Rejected, nil
	case a.code == http.StatusBadRequest && a.body.Rejected > 0:
		return a.body.Rejected, nil // every span rejected: counted as dropped
	}
	msg := a.body.Error
	if msg == "" {
		msg = http.StatusText(a.code)
	}
	return 0, fmt.Errorf("collector: %s answered %d: %s", a.c.redacted, a.code, msg)
}

func (c *collectorExporter) postOnce(ctx context.Context, body []byte) (collectorAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return collectorAnswer{}, fmt.Errorf("collector: new request to %s failed", c.redacted)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	if c.user != nil {
		p, _ := c.user.Password()
		req.SetBasicAuth(c.user.Username(), p)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, whose query may hold a token
		}
		return collectorAnswer{}, fmt.Errorf("collector: post to %s: %w", c.redacted, err)
	}
	defer resp.Body.Close()
	a := collectorAnswer{code: resp.StatusCode, c: c}
	// The answer is small; bound it all the same, and drain for reuse.
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a.body)
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return a, nil
}

// BorrowsSpans: spans are encoded into the request's body during the
// call, and nothing of them is kept.
func (c *collectorExporter) BorrowsSpans() {}

func (c *collectorExporter) Shutdown(context.Context) error {
	c.shutdown.Store(true)
	c.client.CloseIdleConnections()
	return nil
}

// collectorSpan is a span as the receiver reads it: the JSON of
// internal/tracestore.Span, which this package cannot import.
type collectorSpan struct {
	TraceID   string         `json:"trace_id"`
	SpanID    string         `json:"span_id"`
	ParentID  string         `json:"parent_id,omitempty"`
	Service   string         `json:"service"`
	Operation string         `json:"operation"`
	Start     time.Time      `json:"start"`
	Duration  int64          `json:"duration_ns"`
	Error     string         `json:"error,omitempty"`
	ErrorType string         `json:"error_type,omitempty"`
	Host      string         `json:"host,omitempty"`
	Tags      []collectorTag `json:"tags,omitempty"`
	Logs      []collectorLog `json:"logs,omitempty"`
}

type collectorTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type collectorLog struct {
	Time    time.Time      `json:"time"`
	Message string         `json:"message"`
	Fields  []collectorTag `json:"fields,omitempty"`
}

// encodeCollectorSpan appends d's line: the resource's service, host,
// version and default tags, the error's code, data and stack as tags
// (error.code, error.data, error.stack), counts of what the span dropped
// (jstrace.dropped_tags, jstrace.dropped_logs, jstrace.cut_values); at
// most 128 tags, the span's own first.
func encodeCollectorSpan(buf *bytes.Buffer, d *jstrace.SpanData) error {
	s := collectorSpan{
		TraceID: d.TraceID.String(), SpanID: d.SpanID.String(),
		Operation: d.Operation, Start: d.Start.UTC(), Duration: int64(d.Duration),
	}
	if d.ParentID.IsValid() {
		s.ParentID = d.ParentID.String()
	}
	if s.Operation == "" {
		s.Operation = "(unnamed)"
	}
	tag := func(k string, v any) {
		if len(s.Tags) < collectorMaxTags {
			s.Tags = append(s.Tags, collectorTag{k, tagText(v)})
		}
	}
	for _, f := range d.Tags {
		tag(f.Key, f.Value)
	}
	if e := d.Error; e != nil {
		s.Error, s.ErrorType = cmp.Or(e.Message, "error"), e.Type
		if e.Code != "" {
			tag("error.code", e.Code)
		}
		if e.Data != nil {
			tag("error.data", e.Data)
		}
		if e.Stack != "" {
			tag("error.stack", e.Stack)
		}
	}
	for _, c := range []struct {
		k string
		n int
	}{{"jstrace.dropped_tags", d.DroppedTags}, {"jstrace.dropped_logs", d.DroppedLogs}, {"jstrace.cut_values", d.CutValues}} {
		if c.n > 0 {
			tag(c.k, c.n)
		}
	}
	if r := d.Resource; r != nil {
		s.Service, s.Host = r.Service, r.Host
		if r.Version != "" {
			tag("service.version", r.Version)
		}
		for _, f := range r.Tags {
			tag(f.Key, f.Value)
		}
	}
	for _, l := range d.Logs {
		cl := collectorLog{Time: l.Time.UTC(), Message: l.Message}
		for _, f := range l.Fields {
			cl.Fields = append(cl.Fields, collectorTag{f.Key, tagText(f.Value)})
		}
		s.Logs = append(s.Logs, cl)
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(&s)
}

// tagText renders a tag's value as text, at most jstrace.MaxValueLen
// bytes.
func tagText(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case time.Time:
		s = x.Format(time.RFC3339Nano)
	case time.Duration:
		s = x.String()
	case int:
		s = strconv.Itoa(x)
	case error:
		s = x.Error()
	default:
		s = fmt.Sprint(v)
	}
	if len(s) > jstrace.MaxValueLen {
		s = strings.ToValidUTF8(s[:jstrace.MaxValueLen], "")
	}
	return s
}
