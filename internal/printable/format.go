package printable

// fmt pads each operand to its width and precision, up to a million each
// (beyond that it prints a bad-width note): a format of ten thousand
// "%01000000d" verbs prints ten gigabytes from ten thousand small ints.

// fmtMaxWidth is fmt's own bound on a width or precision.
const fmtMaxWidth = 1e6

// CheckFormat returns ErrLarge if the widths and precisions of format's
// verbs could make fmt print more than MaxBytes, counting a million for
// each width or precision given as an argument (*).
func CheckFormat(format string) error {
	if formatBound(format) > MaxBytes {
		return ErrLarge
	}
	return nil
}

// formatBound is an upper bound of what fmt prints for format beyond its
// operands' own text, stopping early past MaxBytes.
func formatBound(format string) int {
	total := len(format)
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		// Flags, argument indexes, widths and precisions up to the verb.
		pad := 0
	flags:
		for i++; i < len(format); i++ {
			switch c := format[i]; {
			case c == '*':
				pad += fmtMaxWidth
			case c >= '0' && c <= '9':
				n := 0
				for ; i+1 < len(format) && format[i+1] >= '0' && format[i+1] <= '9'; i++ {
					n = min(n*10+int(format[i]-'0'), fmtMaxWidth)
				}
				pad += min(n*10+int(format[i]-'0'), fmtMaxWidth)
			case c == '.' || c == '+' || c == '-' || c == '#' || c == ' ' || c == '[' || c == ']':
			default:
				break flags // the verb
			}
		}
		if total += pad; total > MaxBytes {
			return total
		}
	}
	return total
}
