package discovery

import (
	"fmt"
	"os"
)

// Private checks that dir is a directory (not a link) and, where the
// platform can tell, that it belongs to the current user and is closed to
// everyone else: mode 0700 or narrower.
func Private(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("run directory %s is not a directory", dir)
	}
	return private(dir, fi)
}
