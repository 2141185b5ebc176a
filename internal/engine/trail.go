package engine

import "bytes"

// trail is the interpreter's standard error. yaegi writes a line there for
// every interpreted frame a panic unwinds through, innermost first
// ("script.go:12:5: panic: main.Remote.func1(...)"); the first line after
// a call started gives the panic's position in the script. It keeps that
// line only. Script code runs on the engine goroutine, so that is the only
// goroutine that writes to it.
type trail struct {
	line []byte
}

func (t *trail) Write(p []byte) (int, error) {
	if t.line == nil {
		l := p
		if i := bytes.IndexByte(l, '\n'); i >= 0 {
			l = l[:i]
		}
		t.line = append([]byte{}, l[:min(len(l), 512)]...)
	}
	return len(p), nil
}

func (t *trail) reset() { t.line = nil }

// position returns " in main.Remote.func1 at file:line:col" for the last
// panic, or "". yaegi gives the position of the panicking function's body,
// not of the statement.
func (t *trail) position() string {
	pos, fn, ok := bytes.Cut(t.line, []byte(": panic: "))
	if !ok || len(pos) == 0 {
		return ""
	}
	fn = bytes.TrimSuffix(fn, []byte("(...)"))
	return " in " + string(fn) + " at " + string(pos)
}
