//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package waterfall

import "os"

// TerminalWidth returns 0: the width is $COLUMNS, or 80.
func TerminalWidth(*os.File) int { return 0 }

// TerminalSize returns 0, 0: the size is unknown.
func TerminalSize(*os.File) (cols, rows int) { return 0, 0 }
