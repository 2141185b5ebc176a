package script

import "github.com/jstrace-go/jstrace/internal/printable"

// Draw shows a frame, text made of lines (what Bars, Quantize, Chart,
// Table… return, joined as the script likes), on the CLI's standard
// output.
//
// In Local, on a terminal, each frame replaces the previous one in place
// (the CLI moves the cursor up over it and clears it), unless something
// else was printed since, or the previous frame was taller than the
// terminal: the frame is then drawn below. When the CLI's output is not a
// terminal (a pipe, a file), frames are appended, an empty line between
// two. The CLI writes the cursor movements itself: the frame's text is
// escaped like any other output (unless --raw), so a script cannot send
// the terminal control sequences.
//
// In Remote, a frame is printed as Dump prints, each line prefixed with
// the process ("hostname/title/pid >> "), and appended: frames from many
// processes cannot redraw one place. Draw in Local what Remote emits to
// redraw in place.
func (t *Traces) Draw(frame string) {
	if err := printable.Check(frame); err != nil {
		panic("traces.Draw: " + err.Error())
	}
	text := line(frame)
	if h, ok := t.host.(interface{ Frame(text string) }); ok {
		h.Frame(text)
		return
	}
	t.host.Print(streamDump, text)
}

// Width returns the columns a drawing may take: in Local, $COLUMNS if set,
// else the width of the CLI's terminal, else DefaultWidth (80); in Remote,
// DefaultWidth, since a remote frame's lines are prefixed and may reach
// several terminals. Pass it to Bars, Chart… each time a frame is drawn,
// so that the drawing follows the terminal when it is resized.
func (t *Traces) Width() int {
	if h, ok := t.host.(interface{ Width() int }); ok {
		if w := h.Width(); w > 0 {
			return w
		}
	}
	return DefaultWidth
}
