//go:build unix

package discovery

import (
	"errors"
	"io/fs"
	"syscall"
)

// alive reports whether a process with the pid exists. EPERM means it exists
// but belongs to another user.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// inode returns the file's inode number, 0 if unknown. Register replaces a
// file by renaming a new one over it: a new inode, even where the new
// file has the old one's size and a modification time the file system's
// clock cannot tell apart.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
