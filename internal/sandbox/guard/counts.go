package guard

import (
	"fmt"
	"math/rand"
	"strconv"
)

// Functions that allocate a count a script gives: rand.Perm (an int each)
// and the precision of strconv.FormatComplex. Each panics, in the script, rather than allocate
// more than MaxAlloc.

func checkCount64(what string, n int, each int64) {
	if n > 0 && int64(n) > MaxAlloc/each {
		panic(fmt.Sprintf("%s of %d elements exceeds the scripts' limit of %d MiB", what, n, MaxAlloc>>20))
	}
}

// Perm is rand.Perm with the MaxAlloc check.
func Perm(n int) []int {
	checkCount64("Perm", n, 8)
	return rand.Perm(n)
}

// FormatComplex is strconv.FormatComplex with precision at most
// MaxPrecision.
func FormatComplex(c complex128, fmt byte, prec, bitSize int) string {
	checkPrecision(prec)
	return strconv.FormatComplex(c, fmt, prec, bitSize)
}
