package cli

import (
	"os"
	"time"
)

// hardGrace is how long after --duration and the agents' stopTimeout the
// CLI exits whatever happens: Local's cleanup and the last output fit in
// it; an agent that holds the session open does not get more.
const hardGrace = 15 * time.Second

// exit ends the process when the hard deadline passes (a variable for
// tests).
var exit = os.Exit

// hardDeadline arms the exit that --duration promises: the session ends
// after d, the agents get stopTimeout to finish, and hardGrace later the
// process exits with ExitError even if something still waits. It returns
// the function that disarms it; with d == 0 there is none to arm.
func (t *tracer) hardDeadline(d time.Duration) (disarm func()) {
	if d <= 0 {
		return func() {}
	}
	return t.armExit(d, d+stopTimeout+hardGrace)
}

// armExit exits the process after limit, unless disarmed first.
func (t *tracer) armExit(d, limit time.Duration) (disarm func()) {
	timer := time.AfterFunc(limit, func() {
		t.out.errorf("the session did not end within %v of --duration %v; exiting", limit-d, d)
		exit(ExitError)
	})
	return func() { timer.Stop() }
}
