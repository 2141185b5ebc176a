//go:build !unix

package discovery

import "io/fs"

// private cannot check ownership on this platform.
func private(dir string, fi fs.FileInfo) error { return nil }
