// Package guard holds the checks the sandbox inserts into scripts, so that
// one expression cannot make the host allocate memory without bound: Go
// cannot recover from running out of memory.
package guard

import (
	"fmt"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
	"reflect"
	"strings"
)

// MaxAlloc is the largest allocation a single make, or a guarded native
// function (strings.Repeat, strings.Join, json.MarshalIndent, errors.Join,
// see the other files), may make for a script.
const MaxAlloc = 256 << 20

// Len checks the length or capacity n of make(T, n), where zero is a nil
// value of T (a slice or map type), and returns it as an int. It panics,
// in the script, if n is negative or the allocation would exceed MaxAlloc.
func Len(n int64, zero any) int {
	if n < 0 {
		panic(fmt.Sprintf("make: length %d out of range", n))
	}
	size := int64(1)
	if t := reflect.TypeOf(zero); t != nil {
		switch t.Kind() {
		case reflect.Slice:
			size = max(int64(t.Elem().Size()), 1)
		case reflect.Map:
			size = max(int64(t.Key().Size()+t.Elem().Size()), 1)
		}
	}
	if n > MaxAlloc/size {
		panic(fmt.Sprintf("make of %d elements of %d bytes exceeds the scripts' limit of %d MiB", n, size, MaxAlloc>>20))
	}
	return int(n)
}

// Repeat is strings.Repeat with the MaxAlloc check.
func Repeat(s string, count int) string {
	checkRepeat(len(s), count)
	return strings.Repeat(s, count)
}

// RepeatBytes is bytes.Repeat with the MaxAlloc check.
func RepeatBytes(b []byte, count int) []byte {
	checkRepeat(len(b), count)
	out := make([]byte, 0, len(b)*count)
	for range count {
		out = append(out, b...)
	}
	return out
}

func checkRepeat(n, count int) {
	if count < 0 {
		panic("Repeat: negative count")
	}
	if n > 0 && count > MaxAlloc/n {
		panic(fmt.Sprintf("Repeat of %d bytes %d times exceeds the scripts' limit of %d MiB", n, count, MaxAlloc>>20))
	}
}

// OnBounded is t.On(pattern, fn) for a handler the sandbox proved to end
// in a bounded number of steps, into which it rewrites such calls; the
// host may run such handlers where their probe fires.
func OnBounded(t *script.Traces, pattern string, fn func(*script.Trace)) {
	scripthost.OnBounded(t, pattern, fn, scripthost.Loan{})
}
