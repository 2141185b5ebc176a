package cli

import (
	"github.com/jstrace-go/jstrace/internal/printable"

	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/script"
)

// watchTime is the layout of an event's time: RFC 3339, UTC, always nine
// digits of nanoseconds, so that lines align and sort as text.
const watchTime = "2006-01-02T15:04:05.000000000Z07:00"

// watchGlobs splits the arguments of jstrace watch, each a comma list of
// globs (commas inside {…} belong to the glob), into those to subscribe to
// and a set of those, written -glob, to leave out.
func watchGlobs(args []string) (include []string, exclude *match.Set, err error) {
	var excl []string
	for _, arg := range args {
		for _, g := range splitGlobs(arg) {
			switch {
			case g == "" || g == "-":
				return nil, nil, fmt.Errorf("empty glob in %q", arg)
			case g[0] == '-':
				excl = append(excl, g[1:])
			default:
				include = append(include, g)
			}
		}
	}
	if len(include) == 0 {
		return nil, nil, fmt.Errorf("no glob to watch: give one, e.g. 'request:*'")
	}
	if _, err := match.Compile(include...); err != nil {
		return nil, nil, fmt.Errorf("bad glob: %w", err)
	}
	if exclude, err = match.Compile(excl...); err != nil {
		return nil, nil, fmt.Errorf("bad glob: %w", err)
	}
	return include, exclude, nil
}

// splitGlobs splits s at the commas outside braces.
func splitGlobs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth = max(depth-1, 0)
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// watchScript is the session of jstrace watch: Local subscribes to the
// globs, so that the agents forward the matching probes; the records go to
// the native sink, not to Local. The globs are quoted Go literals.
func watchScript(globs []string) []byte {
	var b strings.Builder
	b.WriteString("package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Local(traces *script.Traces) {\n")
	for _, g := range globs {
		fmt.Fprintf(&b, "\ttraces.On(%s, func(*script.Trace) {})\n", strconv.Quote(g))
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// watchLine formats an event as one line of text:
//
//	2026-12-01T00:40:01.123456789Z api-1/api/1234 request:end id=7 path="/x"
//
// Fields are sorted by key; strings are quoted (Go syntax) and every name
// passes through field, which escapes control characters and cuts long
// names (unless --raw). The line ends with a newline.
func watchLine(o *output, tr *script.Trace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s/%d %s", tr.Time.UTC().Format(watchTime),
		o.field(tr.Hostname), o.field(tr.Title), tr.PID, o.field(tr.Name))
	fields := tr.Fields()
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v string
		switch x := fields[k].(type) {
		case string:
			v = strconv.Quote(x)
		case []byte:
			v = strconv.Quote(string(x))
		default:
			v = fmt.Sprint(x)
		}
		fmt.Fprintf(&b, " %s=%s", o.field(k), o.field(v))
	}
	b.WriteByte('\n')
	return b.String()
}

// watchEvent is the JSON object of an event in jstrace watch --json.
type watchEvent struct {
	Time   string         `json:"time"`
	Host   string         `json:"host"`
	Title  string         `json:"title"`
	PID    int            `json:"pid"`
	Probe  string         `json:"probe"`
	Fields map[string]any `json:"fields"`
}

// watchJSON formats an event as one line of NDJSON. encoding/json escapes
// control characters, so the line is safe for a terminal and is one line;
// invalid UTF-8 becomes U+FFFD.
func watchJSON(tr *script.Trace) (string, error) {
	fields := tr.Fields()
	for k, v := range fields {
		fields[k] = jsonValue(v)
	}
	b, err := json.Marshal(watchEvent{
		Time: tr.Time.UTC().Format(watchTime), Host: tr.Hostname, Title: tr.Title,
		PID: tr.PID, Probe: tr.Name, Fields: fields,
	})
	if err != nil {
		return "", fmt.Errorf("encode event %q: %w", tr.Name, err)
	}
	return escapeControls(string(b)) + "\n", nil
}

// escapeControls escapes what encoding/json leaves as it is and a
// terminal must not get (DEL, the C1 controls, bidirectional overrides
// and isolates: printable.UnsafeRune), so that the line is safe for a
// terminal and still JSON.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isRawControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isRawControl(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isRawControl(r rune) bool { return r == 0x7f || printable.UnsafeRune(r) }

// jsonValue makes a field's value encodable as JSON: durations, times and
// errors become strings, as do floats JSON cannot hold (NaN, ±Inf); bytes
// are base64 (encoding/json's way); lists and maps are converted within.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case error:
		return x.Error()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}
