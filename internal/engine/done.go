package engine

// Done returns a channel closed when the engine goroutine has returned: no
// code of the script, and no native code the script called, runs any more.
// Stop and Wait may give up waiting before that (a native call that
// does not return); a host that must not report the script ended before it
// has ended waits for Done.
func (e *Engine) Done() <-chan struct{} { return e.exited }
