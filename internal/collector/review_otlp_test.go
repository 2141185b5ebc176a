package collector

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// emptySpansBody is an OTLP body of n empty spans (2 bytes each on the
// wire) in one ScopeSpans of one ResourceSpans.
func emptySpansBody(n int) []byte {
	var ss []byte
	for i := 0; i < n; i++ {
		ss = protowire.AppendTag(ss, 2, protowire.BytesType)
		ss = protowire.AppendVarint(ss, 0)
	}
	var rs []byte
	rs = protowire.AppendTag(rs, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, ss)
	var td []byte
	td = protowire.AppendTag(td, 1, protowire.BytesType)
	return protowire.AppendBytes(td, rs)
}

// A body within MaxBodyBytes must not make the decoder allocate much more
// than the body: empty spans cost 2 bytes on the wire and hundreds once
// decoded, and up to MaxConcurrent such requests are decoded at once.
func TestReviewOTLPAmplification(t *testing.T) {
	body := emptySpansBody(DefaultMaxBodyBytes/2 - 16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeOTLP(bytes.NewReader(body), Limits{})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("body %d bytes, allocated %d MiB", len(body), alloc>>20)
	if alloc > 8*uint64(len(body)) {
		t.Errorf("decoding a %d-byte body allocated %d MiB: over 8 times the body", len(body), alloc>>20)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge (413)", err)
	}
}
