//go:build !linux

package alarm

import "errors"

// newKernelTimer fails: elsewhere than Linux, Timers are Go timers.
func newKernelTimer() (kernelTimer, error) {
	return nil, errors.New("no kernel timer on this OS")
}
