package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// output serialises everything the CLI prints: Local's output, remote
// console output and the CLI's own messages, so lines from concurrent
// sources never interleave mid-line.
type output struct {
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
}

func (o *output) write(w io.Writer, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(w, text)
}

// prefixed writes text with prefix at the start of every line.
func (o *output) prefixed(w io.Writer, prefix, text string) {
	var b strings.Builder
	for line := range strings.Lines(text) {
		b.WriteString(prefix)
		b.WriteString(line)
	}
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	o.write(w, b.String())
}

// errorf prints a message of the CLI itself on stderr.
func (o *output) errorf(format string, args ...any) {
	o.write(o.stderr, "jstrace: "+fmt.Sprintf(format, args...)+"\n")
}
