package printable

import "testing"

// FuzzCheckFormat: CheckPrintf never panics, and its bound holds: fmt
// prints no more than printfBound for the format and operands of many
// shapes (slices, maps, structs, bytes, floats, errors, nils), widths and
// precisions applied to every value in them.
func FuzzCheckFormat(f *testing.F) {
	for _, s := range []string{"%d", "%5.2f", "%*d", "%[2]*[1]d", "%-+# 0x", "%.*s", "%%", "%!", "%12345678901234567890d", "%[999]d",
		"%01000000d", "%0100d", "%+0100v", "%#0100v", "%.100f", "%[3]*.[2]*[1]f", "% #0100x", "%0100q", "%#0100U", "%100T", "%0100z",
		"%9999999d", "%[1]0100d%[1]0100d", "%[2]*d"} {
		f.Add(s, uint64(9), uint64(0x0f0e0d0c0b0a))
	}
	args := fuzzArgs()
	f.Fuzz(func(t *testing.T, format string, pick, pick2 uint64) {
		CheckPrintf(format)
		if len(format) > 256 {
			return
		}
		// Up to five operands picked from fuzzArgs, and a width.
		var list []any
		for range pick % 6 {
			list = append(list, args[pick2%uint64(len(args))])
			pick2 /= uint64(len(args))
		}
		if pick&(1<<8) != 0 {
			list = append([]any{int(pick>>9) % 200}, list...)
		}
		CheckPrintf(format, list...)
		checkBound(t, format, list)
	})
}
