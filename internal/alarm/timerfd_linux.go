package alarm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// timerfd is a Linux timerfd on the monotonic clock, non-blocking, so
// that os.File's reads of it wait in the network poller: the goroutine
// parks, and nothing holds a thread or a Go timer meanwhile.
type timerfd struct {
	f *os.File
}

const (
	tfdNonblock = syscall.O_NONBLOCK
	tfdCloexec  = syscall.O_CLOEXEC
	// clockMonotonic is CLOCK_MONOTONIC, which package syscall does not name.
	clockMonotonic = 1
)

func newKernelTimer() (kernelTimer, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, uintptr(tfdNonblock|tfdCloexec), 0)
	if errno != 0 {
		return nil, fmt.Errorf("timerfd_create: %w", errno)
	}
	f := os.NewFile(fd, "timerfd")
	if f == nil {
		syscall.Close(int(fd))
		return nil, errors.New("timerfd: not a file")
	}
	t := &timerfd{f: f}
	// A policy may let it be made and not set: then Go timers.
	if err := t.set(time.Hour); err != nil {
		f.Close()
		return nil, err
	}
	if err := t.set(0); err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// itimerspec is struct itimerspec: no interval, the expiry relative.
type itimerspec struct {
	interval, value syscall.Timespec
}

func (t *timerfd) set(d time.Duration) error {
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	rc, err := t.f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if cerr := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	}); cerr != nil {
		return cerr
	}
	if errno != 0 {
		return fmt.Errorf("timerfd_settime: %w", errno)
	}
	return nil
}

// wait reads the expiry count, which the poller wakes it for.
func (t *timerfd) wait() error {
	var b [8]byte
	n, err := t.f.Read(b[:])
	if err != nil {
		return err
	}
	if n != 8 || binary.NativeEndian.Uint64(b[:]) == 0 {
		return errors.New("timerfd: short read")
	}
	return nil
}

func (t *timerfd) close() error { return t.f.Close() }
