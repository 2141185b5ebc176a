package export

import "os"

// isTerminal reports whether f is a character device: a terminal, most
// likely (colours and the terminal's width are then used).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
