package jstracehttp

import (
	"math/rand/v2"
)

// MaxRequestIDLen is the longest incoming request ID the middleware
// honours; longer ones are replaced by a fresh ID.
const MaxRequestIDLen = 128

// ValidRequestID reports whether id may be used as a request ID: 1 to
// [MaxRequestIDLen] characters, each an ASCII letter, a digit or one of
// "-_.:+/=". The middleware replaces any other incoming value with a fresh
// ID and never echoes it.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !idChar[id[i]] {
			return false
		}
	}
	return true
}

// idChar[c] is whether the byte c may appear in a request ID.
var idChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.:+/=" {
		t[c] = true
	}
	return t
}()

// idAlphabet spells request IDs: 32 symbols, lowercase, no look-alikes
// (Crockford's base32).
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idLen is the length of a generated ID: 128 random bits, 5 a character.
const idLen = 26

// NewRequestID returns a fresh request ID: 26 characters of base32 spelling
// 128 random bits. The bits come from math/rand/v2's global generator,
// which the runtime seeds from the operating system and runs as ChaCha8
// per thread: no system call and no lock per ID, and two IDs collide with
// probability about n²/2¹²⁹ among n IDs (all services together), which
// is nil for any real fleet. The IDs are unpredictable enough to be
// harmless in logs but are not secrets: never use one for authorisation.
// Its only allocation is the string. Safe for concurrent use.
func NewRequestID() string {
	hi, lo := rand.Uint64(), rand.Uint64()
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[lo&31]
		// Shift the 128-bit hi:lo right by 5.
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(b[:])
}
