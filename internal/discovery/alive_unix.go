//go:build unix

package discovery

import (
	"errors"
	"syscall"
)

// alive reports whether a process with the pid exists. EPERM means it exists
// but belongs to another user.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
