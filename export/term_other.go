//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package export

import "os"

// terminalWidth returns 0: the width is $COLUMNS, or 80.
func terminalWidth(*os.File) int { return 0 }
