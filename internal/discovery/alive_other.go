//go:build !unix

package discovery

import (
	"io/fs"
	"os"
)

// alive reports whether a process with the pid exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

// inode returns 0: this system's file information has no inode number
// here (see alive_unix.go).
func inode(fs.FileInfo) uint64 { return 0 }
