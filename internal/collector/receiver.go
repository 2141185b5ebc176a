package collector

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Paths the Receiver serves.
const (
	PathSpans  = "/v1/spans"  // the jstrace span format (NDJSON)
	PathTraces = "/v1/traces" // OTLP/HTTP protobuf
)

// A Response is the JSON body of every answer to POST /v1/spans. It is a
// plain value.
type Response struct {
	Accepted int `json:"accepted"` // spans queued for the store
	Rejected int `json:"rejected"` // spans refused as invalid
	// Dropped counts valid spans the collector could not queue (it is
	// overloaded or stopping): the request may be retried (503), and
	// spans stored twice are kept once.
	Dropped int         `json:"dropped"`
	Errors  []LineError `json:"errors,omitempty"` // the first rejections
	Error   string      `json:"error,omitempty"`  // why the whole request failed
}

// A Receiver is the collector's HTTP handler: POST /v1/spans and POST
// /v1/traces, into a Writer. Its zero value is not usable: set Writer.
// It is safe for concurrent use.
type Receiver struct {
	Writer *Writer
	// Limits bound each request, and how many are read at once. Zero
	// value: the defaults.
	Limits Limits

	once sync.Once
	busy chan struct{} // a token per request being read
}

// ServeHTTP serves the two paths; others are 404.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var otlp bool
	switch r.URL.Path {
	case PathSpans:
	case PathTraces:
		otlp = true
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.refuse(w, otlp, http.StatusMethodNotAllowed, errors.New("method not allowed: use POST"))
		return
	}
	if otlp {
		if ct := mediaType(r.Header.Get("Content-Type")); ct != "application/x-protobuf" {
			rc.refuse(w, otlp, http.StatusUnsupportedMediaType, errors.New("content type must be application/x-protobuf (OTLP/HTTP JSON is not supported)"))
			return
		}
	}
	rc.once.Do(func() { rc.busy = make(chan struct{}, rc.Limits.resolve().MaxConcurrent) })
	select {
	case rc.busy <- struct{}{}:
		defer func() { <-rc.busy }()
	default:
		w.Header().Set("Retry-After", "1")
		rc.refuse(w, otlp, http.StatusServiceUnavailable, errors.New("collector busy: too many requests at once"))
		return
	}
	body, err := rc.body(r)
	if err != nil {
		rc.refuse(w, otlp, http.StatusUnsupportedMediaType, err)
		return
	}
	defer body.Close()
	var res *Result
	if otlp {
		res, err = DecodeOTLP(body, rc.Limits)
	} else {
		res, err = DecodeNDJSON(body, rc.Limits)
	}
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrTooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		rc.refuse(w, otlp, code, err)
		return
	}
	for reason, n := range res.Reasons {
		rc.Writer.Reject(reason, n)
	}
	accepted := rc.Writer.Add(res.Spans)
	resp := Response{Accepted: accepted, Rejected: res.Rejected, Dropped: len(res.Spans) - accepted, Errors: res.Errors}
	code := http.StatusOK
	switch {
	case resp.Dropped > 0:
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
		resp.Error = "collector overloaded: spans dropped"
	case res.Rejected > 0 && len(res.Spans) == 0:
		code = http.StatusBadRequest
		resp.Error = "every span was rejected"
	}
	if otlp {
		rc.writeOTLP(w, code, resp)
		return
	}
	writeJSON(w, code, resp)
}

// body returns the request's body, gunzipped when it says so.
func (rc *Receiver) body(r *http.Request) (io.ReadCloser, error) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return r.Body, nil
	case "gzip":
		// Bound what is read off the wire too: a gzip bomb is cut by the
		// decoder's limit on the decompressed bytes.
		zr, err := gzip.NewReader(io.LimitReader(r.Body, rc.Limits.resolve().MaxBodyBytes))
		if err != nil {
			return nil, fmt.Errorf("bad gzip body: %w", err)
		}
		return zr, nil
	default:
		return nil, errors.New("unsupported content encoding (want gzip or none)")
	}
}

// refuse answers a request refused whole, and counts it.
func (rc *Receiver) refuse(w http.ResponseWriter, otlp bool, code int, err error) {
	rc.Writer.Refuse()
	rc.fail(w, otlp, code, err)
}

func (rc *Receiver) fail(w http.ResponseWriter, otlp bool, code int, err error) {
	if otlp {
		// OTLP/HTTP: a failure's body is a google.rpc.Status; a text
		// message is what most clients print, and what they log.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		io.WriteString(w, err.Error()+"\n")
		return
	}
	writeJSON(w, code, Response{Error: err.Error()})
}

func (rc *Receiver) writeOTLP(w http.ResponseWriter, code int, resp Response) {
	if code != http.StatusOK && resp.Accepted == 0 && resp.Dropped == 0 {
		rc.fail(w, true, code, errors.New(resp.Error))
		return
	}
	if code == http.StatusServiceUnavailable {
		rc.fail(w, true, code, errors.New(resp.Error))
		return
	}
	msg := ""
	if len(resp.Errors) > 0 {
		msg = fmt.Sprintf("%d spans rejected, the first: %s", resp.Rejected, resp.Errors[0].Reason)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	w.Write(otlpResponse(resp.Rejected, msg))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// mediaType is a Content-Type without its parameters, lowercase.
func mediaType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(ct))
}
