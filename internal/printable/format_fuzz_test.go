package printable

import (
	"fmt"
	"testing"
)

// FuzzCheckFormat: CheckFormat never panics, and its bound holds: with
// one-character operands, fmt prints no more than the bound plus the
// operands' text and fmt's notes about them.
func FuzzCheckFormat(f *testing.F) {
	for _, s := range []string{"%d", "%5.2f", "%*d", "%[2]*[1]d", "%-+# 0x", "%.*s", "%%", "%!", "%12345678901234567890d", "%[999]d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		bound := formatBound(format)
		CheckFormat(format)
		if bound > 1<<16 || len(format) > 256 {
			return // printing it would be slow; the bound is what matters
		}
		args := []any{1, 2, 3, 4, "a", 1.5}
		out := fmt.Sprintf(format, args...)
		if len(out) > bound+len(args)*64+len(format)*32 {
			t.Fatalf("%q printed %d bytes, bound %d", format, len(out), bound)
		}
	})
}
