package discovery

import (
	"testing"

	"go.uber.org/goleak"
)

// The tests start processes (exec's goroutines): none may outlive them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
