package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// localSource is the source of Local's output events.
const localSource = "local"

// outputEvent is one output event of a script as --json prints it: one
// line of NDJSON on standard output per call that printed (traces.Log,
// Logf, Error, Dump, fmt.Print*) and per failure of script code.
type outputEvent struct {
	// Time is when the CLI received the output (replay: the recorded
	// time reached), RFC 3339 with nanoseconds, UTC.
	Time string `json:"time"`
	// Source is "local", or host/title/pid for a Remote's.
	Source string `json:"source"`
	// Stream is stdout (Log, fmt), stderr (Error), dump (Dump) or fault
	// (a panic in script code, a cleanup's failure).
	Stream string `json:"stream"`
	// Text is what was printed, without its last newline.
	Text string `json:"text"`
}

// streamNames name the console streams in output events.
var streamNames = map[protocol.ConsoleStream]string{
	protocol.ConsoleStdout: "stdout",
	protocol.ConsoleStderr: "stderr",
	protocol.ConsoleDir:    "dump",
	protocol.ConsoleFault:  "fault",
}

// eventLine formats an output event as a line of NDJSON, safe for a
// terminal: encoding/json escapes C0 controls, escapeControls the rest.
func (o *output) eventLine(source string, stream protocol.ConsoleStream, text string) string {
	now := time.Now()
	if o.clock != nil {
		now = o.clock()
	}
	name := streamNames[stream]
	if name == "" {
		name = fmt.Sprintf("stream-%d", stream)
	}
	b, _ := json.Marshal(outputEvent{ // strings only: cannot fail
		Time: now.UTC().Format(watchTime), Source: source, Stream: name,
		Text: strings.TrimSuffix(text, "\n"),
	})
	return escapeControls(string(b)) + "\n"
}

// writeEvent writes an output event line (eventLine's) on standard output.
func (o *output) writeEvent(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(o.stdout, line)
}
