//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package waterfall

import "os"

// TerminalWidth returns 0: the width is $COLUMNS, or 80.
func TerminalWidth(*os.File) int { return 0 }
