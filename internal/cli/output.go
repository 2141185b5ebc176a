package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/printable"
)

// maxField bounds a name from an agent (host name, title, probe) as the
// CLI prints it: longer ones are cut.
const maxField = 256

// output serialises everything the CLI prints: Local's output, remote
// console output and the CLI's own messages, so lines from concurrent
// sources never interleave mid-line. Unless raw (--raw), everything it
// writes is made safe for a terminal first (printable.Text): agents'
// console text, names and messages, and Local's output of them, cannot
// send the terminal control sequences. Its methods are safe for
// concurrent use; raw, json and clock are set before the first write.
type output struct {
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
	raw    bool

	frames frames // guarded by mu: see frame
	// size reports whether a writer is a terminal, and its size.
	// Default (nil): terminalSize. Tests set it.
	size func(io.Writer) (tty bool, cols, rows int)
	// json (--json) prints the scripts' output as NDJSON output events
	// (scriptjson.go); clock, if set, is their time (replay's).
	json  bool
	clock func() time.Time
}

func (o *output) write(w io.Writer, text string) {
	if !o.raw {
		text = printable.Text(text)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.frames = frames{} // the previous frame is no longer the last thing written
	io.WriteString(w, text)
}

// field makes a name from an agent fit in a line: control characters,
// newlines and tabs escaped, at most maxField bytes (unless raw).
func (o *output) field(s string) string {
	if o.raw {
		return s
	}
	if len(s) > maxField {
		s = strings.ToValidUTF8(s[:maxField], "") + "…"
	}
	return printable.Field(s)
}

// prefixed writes text with prefix at the start of every line.
func (o *output) prefixed(w io.Writer, prefix, text string) {
	o.write(w, prefixLines(prefix, text))
}

// prefixLines returns text with prefix at the start of every line, ended
// by a newline.
func prefixLines(prefix, text string) string {
	var b strings.Builder
	b.Grow(len(text) + (strings.Count(text, "\n")+1)*len(prefix) + 1)
	for line := range strings.Lines(text) {
		b.WriteString(prefix)
		b.WriteString(line)
	}
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// prefixedSize is len(prefixLines(prefix, text)), computed without
// building it.
func prefixedSize(prefix, text string) int {
	n := len(text) + strings.Count(text, "\n")*len(prefix)
	if !strings.HasSuffix(text, "\n") {
		n += len(prefix) + 1
	}
	return n
}

// errorf prints a message of the CLI itself on stderr, one line:
//
//	jstrace: [host/title/pid: ]message
//	jstrace: warning: message
//
// Messages start lowercase, unless with a Go name (Local, Remote) or a
// flag; "warning: " marks what the script's author may want to fix but
// does not stop the session. TestMessageStyle holds every message of the
// package to this.
func (o *output) errorf(format string, args ...any) {
	o.write(o.stderr, "jstrace: "+fmt.Sprintf(format, args...)+"\n")
}
