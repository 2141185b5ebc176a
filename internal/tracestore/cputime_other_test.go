//go:build !unix

package tracestore_test

import (
	"testing"
	"time"
)

// cpuTime is -1: the CPU-time metric is measured on Unix only.
func cpuTime(*testing.B) time.Duration { return -1 }
