//go:build linux

package halt

import "syscall"

func gettid() int { return syscall.Gettid() }
