package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// Frames: Local's traces.Draw. On a terminal the CLI redraws a frame in
// place of the previous one, writing the cursor movements itself after
// escaping the frame's text as any other output (printable.Text, unless
// --raw): a script never sends the terminal control sequences. Remote
// frames never get here: they arrive as console output, prefixed and
// escaped (engine.Frame).

// frames is what output remembers of the last frame it wrote, guarded by
// output.mu; any other write forgets it (see output.write).
type frames struct {
	// rows is the number of terminal rows the last frame took, if it is
	// still the last thing on the screen; 0 if not.
	rows int
	// last says the last write was a frame (for the empty line between
	// two frames appended to a pipe or file).
	last bool
}

// terminalSize returns whether w is a terminal and its columns and rows
// (0 if unknown).
func terminalSize(w io.Writer) (tty bool, cols, rows int) {
	f, ok := w.(*os.File)
	if !ok || !waterfall.IsTerminal(f) {
		return false, 0, 0
	}
	cols, rows = waterfall.TerminalSize(f)
	return true, cols, rows
}

// frame writes a frame on stdout (text ends with a newline): on a
// terminal, over the previous frame if nothing was written since and it
// fitted on the screen; elsewhere appended, after an empty line if the
// previous write was a frame too.
func (o *output) frame(text string) {
	if !o.raw {
		text = printable.Text(text)
	}
	size := o.size
	if size == nil {
		size = terminalSize
	}
	tty, cols, rows := size(o.stdout)
	if rows <= 0 {
		rows = int(^uint(0) >> 1) // unknown: assume it fits
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var b strings.Builder
	switch {
	case tty && o.frames.rows > 0 && o.frames.rows < rows:
		// To the start of the previous frame's first row, then clear to
		// the end of the screen.
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", o.frames.rows)
	case !tty && o.frames.last:
		b.WriteByte('\n')
	}
	b.WriteString(text)
	io.WriteString(o.stdout, b.String())
	o.frames = frames{last: true}
	if tty {
		o.frames.rows = screenRows(text, cols)
	}
}

// screenRows returns the rows text takes on a terminal cols wide (0:
// unknown, no line wraps), its long lines wrapping.
func screenRows(text string, cols int) int {
	n := 0
	for line := range strings.Lines(text) {
		w := utf8.RuneCountInString(strings.TrimSuffix(line, "\n"))
		if cols > 0 && w > cols {
			n += (w + cols - 1) / cols
		} else {
			n++
		}
	}
	return n
}

var (
	_ engine.Framer = (*localOutput)(nil)
	_ engine.Sizer  = (*localOutput)(nil)
)

// Frame draws Local's frames.
func (o *localOutput) Frame(text string) { o.out.frame(text) }

// Width is the width of Local's drawings: $COLUMNS, else the terminal's
// width, else 80 (see terminal).
func (o *localOutput) Width() int {
	w, _ := terminal(o.out.stdout)
	return w
}
