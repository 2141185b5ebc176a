package agent

import (
	"context"
	"time"
)

// abandonTimeout is how long the agent waits for a script it killed at the
// end of its session: native code it called unwinds at its next call into
// the script (see package halt), which takes milliseconds.
const abandonTimeout = 2 * time.Second

// stopEngine stops the script: its cleanup runs (see engine.Stop), within
// cleanupTimeout and only while the agent still waits for sessions (see
// Agent.Shutdown). If it does not finish in time, the script is killed; if
// its goroutine still runs after that (native code that does not call
// back), the session is reported to the CLI and the log as still running,
// and stays counted in Sessions (so MaxSessions holds) and in the
// governor, charged its thread's CPU time (so the Totals hold), until the
// goroutine returns.
func (s *session) stopEngine() {
	ctx, cancel := context.WithTimeout(s.a.hurry, cleanupTimeout)
	err := s.eng.Stop(ctx)
	cancel()
	if err == nil {
		return
	}
	// The kill's reason reaches the CLI as the script's detachment.
	if s.a.hurry.Err() != nil {
		s.eng.Kill("the service is shutting down")
	} else {
		s.eng.Kill("its cleanup did not finish within " + cleanupTimeout.String() + " of the session's end")
	}
	s.eng.Abandon()
	ctx, cancel = context.WithTimeout(context.Background(), abandonTimeout)
	err = s.eng.Wait(ctx)
	cancel()
	if err == nil {
		return
	}
	s.Fault("the script is still running in the service after its session ended (a native function it called has not returned); the agent counts it as a session until it does")
	s.log.Warn("script still running after session end")
	s.a.sessions.Add(1)
	s.a.gov.hold(s)
	go func() {
		<-s.eng.Done()
		s.a.gov.release(s)
		s.a.sessions.Add(-1)
		s.log.Info("stuck script ended")
	}()
}
