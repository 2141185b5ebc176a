//go:build linux || darwin || freebsd || netbsd || openbsd

package waterfall

import (
	"os"
	"syscall"
	"unsafe"
)

// TerminalWidth returns the width of the terminal f is, or 0.
func TerminalWidth(f *os.File) int {
	cols, _ := TerminalSize(f)
	return cols
}

// TerminalSize returns the columns and rows of the terminal f is, or 0, 0.
func TerminalSize(f *os.File) (cols, rows int) {
	var ws struct{ row, col, x, y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0, 0
	}
	return int(ws.col), int(ws.row)
}
