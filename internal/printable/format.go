package printable

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// fmt pads each value it prints to the verb's width and precision, and a
// width in a format can reach ten million (fmt refuses a number once it
// exceeds a million, one digit too late). fmt applies the verb to every
// element of a slice, array or map and every field of a struct: "%01000000d"
// of ten thousand zeros prints ten gigabytes, in native code that nothing
// interrupts. CheckPrintf bounds what a format prints with its operands.

// Upper bounds of what fmt prints for one value beyond its width and
// precision: leafText for any value, with the separators, brackets and
// addresses around it (an int in %b prints 65 bytes, a complex in %e or
// %x about 50); floatDigits more for a float in %f (the 309 digits of
// 1e308); byteText for an element of a byte slice printed on its own
// ("0xff, " in %#v, "11111111 " in %b, "U+00FF 'ÿ' " in %#U, "%!z(uint8=255) "
// in a verb that does not suit it).
const (
	leafText    = 96
	floatDigits = 320
	byteText    = 16
	noteText    = 64 // "%!d(BADINDEX)", "%!(NOVERB)" and the like
)

// CheckPrintf reports whether fmt can print args with format: Check holds
// for args, and what the format prints, each verb's width and precision
// applied to every value its operand holds, stays within MaxBytes. Like
// Check, it returns ErrCycle, ErrDeep or ErrLarge.
func CheckPrintf(format string, args ...any) error {
	sizes, err := Walk{Verbose: verbose(format)}.Sizes(args...)
	if err != nil {
		return err
	}
	if printfBound(format, args, sizes) > MaxBytes {
		return ErrLarge
	}
	return nil
}

// verbose reports whether format has a verb other than a plain %v: with
// %+v, %#v or a verb that does not suit a value, fmt prints more of it
// (Walk.Verbose).
func verbose(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		for i++; i < len(format) && strings.IndexByte("0123456789-. *[]", format[i]) >= 0; i++ {
		}
		if i < len(format) && format[i] != 'v' && format[i] != '%' {
			return true
		}
	}
	return false
}

// printfBound is an upper bound of what fmt.Sprintf(format, args...)
// prints, where sizes are the args' Sizes, stopping early past MaxBytes.
// It follows fmt's doPrintf: the same flags, argument indexes, widths and
// precisions, so that each verb is charged for the operand it prints.
func printfBound(format string, args []any, sizes []Size) int {
	total := len(format)
	used := make([]bool, len(args))
	argNum := 0
	for i := 0; i < len(format) && total <= MaxBytes; {
		if format[i] != '%' {
			i++
			continue
		}
		i++
		verbose := false
		for ; i < len(format); i++ {
			c := format[i]
			if c == '+' || c == '#' {
				verbose = true
			} else if c != '0' && c != '-' && c != ' ' {
				break
			}
		}
		good := true
		var afterIndex bool
		argNum, i, afterIndex, good = argNumber(format, i, argNum, len(args), good)
		wid, prec := 0, 0
		if i < len(format) && format[i] == '*' {
			i++
			wid, argNum = intArg(args, argNum)
			afterIndex = false
		} else {
			var ok bool
			wid, ok, i = parseNum(format, i)
			if afterIndex && ok {
				good = false
			}
		}
		if i+1 < len(format) && format[i] == '.' {
			i++
			if afterIndex {
				good = false
			}
			argNum, i, afterIndex, good = argNumber(format, i, argNum, len(args), good)
			if i < len(format) && format[i] == '*' {
				i++
				prec, argNum = intArg(args, argNum)
				afterIndex = false
			} else {
				prec, _, i = parseNum(format, i)
			}
		}
		if !afterIndex {
			argNum, i, _, good = argNumber(format, i, argNum, len(args), good)
		}
		total += noteText
		if i >= len(format) {
			break
		}
		verb, n := utf8.DecodeRuneInString(format[i:])
		i += n
		if verb == '%' || !good || argNum >= len(args) {
			continue
		}
		used[argNum] = true
		if verb == 'T' {
			total += wid + len(typeName(args[argNum]))
		} else {
			total += verbBound(sizes[argNum], verb, verbose, wid, prec)
		}
		argNum++
	}
	// fmt prints the arguments left over with %v: "%!(EXTRA int=1)".
	for i, s := range sizes {
		if !used[i] {
			total += noteText + len(typeName(args[i])) + verbBound(s, 'v', false, 0, 0)
		}
	}
	return total
}

// verbBound is an upper bound of what one verb prints of an operand of
// size s, with the width and precision applied to each value in it.
func verbBound(s Size, verb rune, verbose bool, wid, prec int) int {
	pad := wid + prec
	// Every value padded, complex values once per part; byte slices as
	// one string in %s, %q, %x and %X, else each element on its own.
	// A nil operand is no node to Walk, but fmt pads its "<nil>".
	n := max(s.Nodes, 1)*(pad+leafText) + s.Floats*pad
	if verb == 'f' || verb == 'F' {
		n += s.Floats * floatDigits
	}
	quoted := verb == 'q' || verb == 'x' || verb == 'X' || (verb == 'v' && verbose)
	switch verb {
	case 's', 'q', 'x', 'X':
		n += s.ByteElems * 5 // "0x41 " in % #x
	default:
		n += s.ByteElems * (pad + byteText)
	}
	// Strings quoted or in hexadecimal grow up to five times ("\x00" in
	// %q, "0x41 " in % #x).
	if quoted {
		n += s.Strings * 5
	} else {
		n += s.Strings
	}
	// Names: in %+v and %#v, and in a verb that does not suit a value
	// ("%!d(main.T=…)", any verb but %v can be one).
	if verbose || verb != 'v' {
		n += s.Names
	}
	return n
}

// argNumber is fmt's argNumber: an argument index "[n]" at format[i:].
func argNumber(format string, i, argNum, numArgs int, good bool) (newArgNum, newi int, found, stillGood bool) {
	if i >= len(format) || format[i] != '[' {
		return argNum, i, false, good
	}
	for j := i + 1; j < len(format); j++ {
		if format[j] == ']' {
			n, ok, end := parseNum(format, i+1)
			if !ok || end != j {
				return argNum, j + 1, false, false
			}
			if n-1 < 0 || n-1 >= numArgs {
				return argNum, j + 1, true, false
			}
			return n - 1, j + 1, true, good
		}
	}
	return argNum, i + 1, false, false
}

// parseNum is fmt's parsenum: a decimal number at format[i:], abandoning
// the rest of the format if it grows too large.
func parseNum(format string, i int) (num int, ok bool, newi int) {
	for newi = i; newi < len(format) && '0' <= format[newi] && format[newi] <= '9'; newi++ {
		if num > 1e6 {
			return 0, false, len(format)
		}
		num = num*10 + int(format[newi]-'0')
		ok = true
	}
	return num, ok, newi
}

// intArg is fmt's intFromArg: the width or precision an argument gives
// (fmt ignores one beyond a million), as an upper bound of the padding.
func intArg(args []any, argNum int) (int, int) {
	if argNum >= len(args) {
		return 0, argNum
	}
	n := 0
	switch v := reflect.ValueOf(args[argNum]); v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if x := v.Int(); x >= -1e6 && x <= 1e6 {
			n = int(max(x, -x))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if x := v.Uint(); x <= 1e6 {
			n = int(x)
		}
	}
	return n, argNum + 1
}

func typeName(a any) string {
	if a == nil {
		return "<nil>"
	}
	return reflect.TypeOf(a).String()
}
