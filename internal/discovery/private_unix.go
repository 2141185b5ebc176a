//go:build unix

package discovery

import (
	"fmt"
	"os"
	"syscall"
)

// Private checks that dir is a directory (not a link), owned by the current
// user, and closed to everyone else: mode 0700 or narrower.
func Private(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("run directory %s is not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("run directory %s belongs to uid %d, not to this user (%d): refusing to use it", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("run directory %s has mode %#o: other users could plant or read agent entries; make it private with chmod 700", dir, fi.Mode().Perm())
	}
	return nil
}
