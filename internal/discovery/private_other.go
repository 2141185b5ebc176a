//go:build !unix

package discovery

import (
	"fmt"
	"os"
)

// Private checks that dir is a directory; ownership is not checked on this
// platform.
func Private(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("run directory %s is not a directory", dir)
	}
	return nil
}
