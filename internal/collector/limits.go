// Package collector receives finished spans for `jstrace collect` and
// writes them into a [tracestore.Store]: an HTTP [Receiver] for the jstrace
// span format (POST /v1/spans, docs/collector-protocol.md) and OTLP/HTTP
// protobuf (POST /v1/traces), their decoders, and a bounded [Writer] that
// batches spans into Store.Put.
//
// Everything here reads bytes from outside: every decoder bounds what it
// reads (see [Limits]), refuses what is invalid with a counted reason, and
// never panics; the Writer bounds what waits for the store and counts what
// it drops.
package collector

import (
	"cmp"
	"time"
)

// Limits bound what a request may carry. The zero value is the defaults.
// A Limits is a plain value: copy it and read it from any goroutine.
type Limits struct {
	// MaxBodyBytes bounds a request's body, after gzip decompression: a
	// longer body is refused whole with 413. Default: 8 MiB.
	MaxBodyBytes int64
	// MaxLineBytes bounds one NDJSON line (one span): a longer line is
	// rejected (reason "line too long"), the others are read. Default:
	// 1 MiB.
	MaxLineBytes int
	// MaxSpans bounds the spans of one request: the spans past it are
	// rejected (reason "too many spans"). Default: 10000.
	MaxSpans int
	// MaxTags and MaxLogs bound a span's tags and logs, MaxLogFields a
	// log's fields: a span over them is rejected (reason "too many tags",
	// "too many logs"). Defaults: 128, 128 and 32, as package jstrace
	// records at most.
	MaxTags, MaxLogs, MaxLogFields int
	// MaxValueBytes bounds a string of a span (operation, service, error,
	// a tag's key or value, a log's message): a span with a longer one is
	// rejected (reason "value too long"). Default: 64 KiB.
	MaxValueBytes int
	// MaxConcurrent bounds the requests a Receiver reads at once, and so
	// the memory they hold: one more is answered 503 at once. Default: 8.
	MaxConcurrent int
}

// Default limits.
const (
	DefaultMaxBodyBytes  = 8 << 20
	DefaultMaxLineBytes  = 1 << 20
	DefaultMaxSpans      = 10000
	DefaultMaxTags       = 128
	DefaultMaxLogs       = 128
	DefaultMaxLogFields  = 32
	DefaultMaxValueBytes = 64 << 10
	DefaultMaxConcurrent = 8
)

func (l Limits) resolve() Limits {
	l.MaxBodyBytes = cmp.Or(max(l.MaxBodyBytes, 0), DefaultMaxBodyBytes)
	l.MaxLineBytes = cmp.Or(max(l.MaxLineBytes, 0), DefaultMaxLineBytes)
	l.MaxSpans = cmp.Or(max(l.MaxSpans, 0), DefaultMaxSpans)
	l.MaxTags = cmp.Or(max(l.MaxTags, 0), DefaultMaxTags)
	l.MaxLogs = cmp.Or(max(l.MaxLogs, 0), DefaultMaxLogs)
	l.MaxLogFields = cmp.Or(max(l.MaxLogFields, 0), DefaultMaxLogFields)
	l.MaxValueBytes = cmp.Or(max(l.MaxValueBytes, 0), DefaultMaxValueBytes)
	l.MaxConcurrent = cmp.Or(max(l.MaxConcurrent, 0), DefaultMaxConcurrent)
	return l
}

// maxDuration bounds a span's duration: a span longer than a year is a
// clock's or an encoder's mistake.
const maxDuration = 365 * 24 * time.Hour
