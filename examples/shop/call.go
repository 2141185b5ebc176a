package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// newClient is how a service calls the next one: through
// jstracehttp.Transport, which starts the client span and sends the
// trace context (and the request ID) along.
func newClient() *http.Client {
	return &http.Client{Transport: jstracehttp.Transport(nil), Timeout: 5 * time.Second}
}

// hop is what a service says about its part of a request in the response
// body, so a caller (and the end-to-end tests) can see the trace cross
// each process: the span the service's middleware started for it.
type hop struct {
	Service string `json:"service"`
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Parent  string `json:"parent_id"`
	Sampled bool   `json:"sampled"`
}

// hopOf describes the span of r's context, the request's span.
func hopOf(r *http.Request) hop {
	s := jstrace.SpanFromContext(r.Context())
	h := hop{Service: jstrace.Tracing().Service, SpanID: s.SpanID().String(), Parent: s.ParentID().String(), Sampled: s.IsSampled()}
	if s != nil {
		h.TraceID = s.TraceID().String()
	}
	return h
}

// maxBody bounds what a service reads of a request or a response.
const maxBody = 64 << 10

// postJSON posts in as JSON to url and decodes the response into out,
// whatever its status, which it returns with the response's header.
func postJSON(ctx context.Context, c *http.Client, url string, in, out any) (int, http.Header, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return resp.StatusCode, resp.Header, fmt.Errorf("decode response (status %d): %w", resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, nil
}

var errBadJSON = errors.New("bad JSON body")

// readJSON decodes r's body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errBadJSON, err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
