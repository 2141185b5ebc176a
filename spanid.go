package jstrace

import (
	"encoding/hex"
	"math/bits"
	"strconv"
	_ "unsafe" // go:linkname
)

// A TraceID identifies a trace: every span of one request, across every
// service it crosses, has the same one. It is W3C Trace Context's
// trace-id: 16 bytes, never all zero in a valid trace.
type TraceID [16]byte

// A SpanID identifies a span within its trace: 8 bytes, never all zero in
// a valid span (a root span's parent ID is the zero SpanID).
type SpanID [8]byte

// String returns the 32 lowercase hex digits of W3C Trace Context.
func (t TraceID) String() string {
	var b [32]byte
	hex.Encode(b[:], t[:])
	return string(b[:])
}

// IsValid reports whether t is not all zero.
func (t TraceID) IsValid() bool { return t != TraceID{} }

// String returns the 16 lowercase hex digits of W3C Trace Context, or ""
// for the zero SpanID (a root span's parent).
func (s SpanID) String() string {
	if !s.IsValid() {
		return ""
	}
	var b [16]byte
	hex.Encode(b[:], s[:])
	return string(b[:])
}

// IsValid reports whether s is not all zero.
func (s SpanID) IsValid() bool { return s != SpanID{} }

// ParseTraceID parses 32 hex digits (either case) into a TraceID; it
// refuses any other length, non-hex digits and the all-zero ID.
func ParseTraceID(s string) (TraceID, error) {
	var t TraceID
	if err := parseHexID(t[:], s); err != nil {
		return TraceID{}, err
	}
	return t, nil
}

// ParseSpanID parses 16 hex digits (either case) into a SpanID; it refuses
// any other length, non-hex digits and the all-zero ID.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if err := parseHexID(id[:], s); err != nil {
		return SpanID{}, err
	}
	return id, nil
}

// errBadID is the error of every refused ID: it never quotes the input,
// which comes from outside.
type errBadID struct{ want int }

func (e errBadID) Error() string {
	return "jstrace: not an ID of " + strconv.Itoa(e.want) + " hex digits, or all zero"
}

func parseHexID(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return errBadID{2 * len(dst)}
	}
	var any byte
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return errBadID{2 * len(dst)}
		}
		dst[i] = hi<<4 | lo
		any |= dst[i]
	}
	if any == 0 {
		return errBadID{2 * len(dst)}
	}
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// newTraceBits returns the random bits of a new trace's ID: 96 (math/rand/v2's
// generator: fast, per-thread, seeded from the OS; IDs need to be unique,
// not secret), as AWS X-Ray's trace IDs have, and more than the 56 bits
// W3C Trace Context's random flag promises. w is the high 32 bits of the
// ID's first half (traceHi makes up the rest of that half), lo its second
// half. A span nobody needs keeps no more than these: 16 bytes fewer, and
// a smaller allocation (spankinds.go). IDs stay integers until they are
// stored where they are kept: arrays built on the stack and copied cost a
// third of a span's time (copies, comparisons, and 16-byte loads of what
// two 8-byte stores just wrote, which the CPU cannot forward).
func newTraceBits() (w uint32, lo uint64) {
	for {
		w, lo = uint32(runtimeRand()), runtimeRand()
		// Valid: a trace ID not all zero, and a root span ID not zero
		// (rootSpanID mixes hi ^ lo rotated, which a bijection maps to
		// zero only from zero).
		if hi := traceHi(w, lo); hi|lo != 0 && hi != bits.RotateLeft64(lo, 32) {
			return w, lo
		}
	}
}

// traceHi returns the first half of the trace ID of newTraceBits' w and
// lo: w, then w XOR the high half of lo, so that every byte of the ID
// looks random and no byte repeats another's.
func traceHi(w uint32, lo uint64) uint64 {
	return uint64(w)<<32 | uint64(w^uint32(lo>>32))
}

// rootSpanID returns the ID of the root span of the new trace hi, lo: it
// mixes the trace ID's two halves, so it is as random as they are, and a
// span that keeps its trace ID needs not keep its own ID.
func rootSpanID(hi, lo uint64) uint64 {
	return mix64(hi ^ bits.RotateLeft64(lo, 32))
}

// mix64 is splitmix64's finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// newSpanID returns a random valid span ID.
func newSpanID() uint64 {
	id := runtimeRand()
	for id == 0 {
		id = runtimeRand()
	}
	return id
}

// runtimeRand is the runtime's generator, math/rand/v2's global one
// without its interface call: the runtime keeps it for the packages that
// link to it, as procPin.
//
//go:linkname runtimeRand runtime.rand
func runtimeRand() uint64
