//go:build !unix

package discovery

import "os"

// alive reports whether a process with the pid exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
