package waterfall

import (
	"os"
	"strconv"
)

// IsTerminal reports whether f is a character device: a terminal, most
// likely (colours and the terminal's width are then used).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Columns returns the width of a line written to f: $COLUMNS when set to a
// number, else the terminal's width when f is a terminal, else 80; bounded
// to [MinWidth, MaxWidth]. f may be nil (not a terminal).
func Columns(f *os.File) int {
	w, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	if w <= 0 && f != nil && IsTerminal(f) {
		w = TerminalWidth(f)
	}
	return clampWidth(w)
}

// clampWidth bounds a width to [MinWidth, MaxWidth]; 0 or less is 80.
func clampWidth(w int) int {
	if w <= 0 {
		w = 80
	}
	return min(max(w, MinWidth), MaxWidth)
}
