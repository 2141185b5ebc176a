package engine

import "github.com/jstrace-go/jstrace/internal/protocol"

// A Framer is an Output that shows a script's frames (traces.Draw) itself,
// redrawing them in place: the CLI's Local. Frame is called on the engine
// goroutine; text ends with a newline.
type Framer interface {
	Frame(text string)
}

// A Sizer is an Output that knows the width of the terminal its output
// reaches (traces.Width): the CLI's Local. Width returns 0 if it does not
// know.
type Sizer interface {
	Width() int
}

// Frame hands a frame to the Output if it is a Framer; any other Output
// (an agent's) gets it as Dump output, prefixed with the process.
func (e *Engine) Frame(text string) {
	if f, ok := e.out.(Framer); ok {
		f.Frame(text)
		return
	}
	e.out.Print(byte(protocol.ConsoleDir), text)
}

// Width asks the Output, if it is a Sizer; else 0 (the script's default).
func (e *Engine) Width() int {
	if s, ok := e.out.(Sizer); ok {
		return s.Width()
	}
	return 0
}
