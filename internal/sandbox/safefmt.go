package sandbox

import (
	"fmt"
	"io"
	"reflect"

	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/sandbox/guard"
)

// checkPrintable panics, in the script, rather than let fmt recurse into a
// value that contains itself, or nests too deep (that would overflow the
// stack and kill the process), or print more than printable.MaxBytes.
func checkPrintable(a []any) {
	if err := printable.Check(a...); err != nil {
		panic("fmt: " + err.Error())
	}
}

// checkFormat is checkPrintable for the f functions: the format's widths
// and precisions count too, applied to every value each verb prints.
func checkFormat(format string, a []any) {
	if err := printable.CheckPrintf(format, a...); err != nil {
		panic("fmt: " + err.Error())
	}
}

// safeFmt returns fmt's printing functions with the printable check, the
// Print ones writing to stdout. They replace fmt's in every interpreter.
func safeFmt(stdout io.Writer) map[string]reflect.Value {
	return map[string]reflect.Value{
		"Sprint":   reflect.ValueOf(func(a ...any) string { checkPrintable(a); return fmt.Sprint(a...) }),
		"Sprintf":  reflect.ValueOf(func(f string, a ...any) string { checkFormat(f, a); return fmt.Sprintf(f, a...) }),
		"Sprintln": reflect.ValueOf(func(a ...any) string { checkPrintable(a); return fmt.Sprintln(a...) }),
		"Errorf": reflect.ValueOf(func(f string, a ...any) error {
			checkFormat(f, a)
			err := fmt.Errorf(f, a...)
			guard.CheckErrors(err) // a tree of %w, as errors.Join makes
			return err
		}),
		"Fprint": reflect.ValueOf(func(w io.Writer, a ...any) (int, error) { checkPrintable(a); return fmt.Fprint(w, a...) }),
		"Fprintf": reflect.ValueOf(func(w io.Writer, f string, a ...any) (int, error) {
			checkFormat(f, a)
			return fmt.Fprintf(w, f, a...)
		}),
		"Fprintln": reflect.ValueOf(func(w io.Writer, a ...any) (int, error) { checkPrintable(a); return fmt.Fprintln(w, a...) }),
		"Append":   reflect.ValueOf(func(b []byte, a ...any) []byte { checkPrintable(a); return fmt.Append(b, a...) }),
		"Appendf": reflect.ValueOf(func(b []byte, f string, a ...any) []byte {
			checkFormat(f, a)
			return fmt.Appendf(b, f, a...)
		}),
		"Appendln": reflect.ValueOf(func(b []byte, a ...any) []byte { checkPrintable(a); return fmt.Appendln(b, a...) }),
		"Print":    reflect.ValueOf(func(a ...any) (int, error) { checkPrintable(a); return fmt.Fprint(stdout, a...) }),
		"Printf": reflect.ValueOf(func(f string, a ...any) (int, error) {
			checkFormat(f, a)
			return fmt.Fprintf(stdout, f, a...)
		}),
		"Println": reflect.ValueOf(func(a ...any) (int, error) { checkPrintable(a); return fmt.Fprintln(stdout, a...) }),
	}
}
