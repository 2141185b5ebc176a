//go:build unix

package discovery

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// private checks ownership and mode.
func private(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("run directory %s belongs to uid %d, not to this user (%d): refusing to use it", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("run directory %s has mode %#o: other users could plant or read agent entries; make it private with chmod 700", dir, fi.Mode().Perm())
	}
	return nil
}
