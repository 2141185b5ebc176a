package script

import (
	"strconv"
	"testing"
)

// TestAppendIntAsStrconv: the small-number path writes what strconv
// writes, at and around its bounds.
func TestAppendIntAsStrconv(t *testing.T) {
	for _, x := range []int64{-1000, -999, -1, 0, 1, 9, 10, 99, 100, 101, 200, 404, 999, 1000, 1001, 1 << 40, -1 << 63} {
		if got, want := string(appendInt([]byte("k="), x)), "k="+strconv.FormatInt(x, 10); got != want {
			t.Errorf("appendInt(%d) = %q, want %q", x, got, want)
		}
	}
	for _, x := range []uint64{0, 7, 10, 99, 100, 599, 999, 1000, 1<<64 - 1} {
		if got, want := string(appendUint(nil, x)), strconv.FormatUint(x, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", x, got, want)
		}
	}
	for x := 0; x < 1000; x++ {
		if got, want := string(appendSmall(nil, x)), strconv.Itoa(x); got != want {
			t.Fatalf("appendSmall(%d) = %q, want %q", x, got, want)
		}
	}
}

func BenchmarkPlainPartStatus(b *testing.B) {
	var buf [32]byte
	n := 0
	for i := 0; i < b.N; i++ {
		k, _ := plainPart(buf[:0], 200+i%4)
		n += len(k)
	}
	_ = n
}
