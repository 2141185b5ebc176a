package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// Widths of the table's free-text columns, in runes: longer values are cut.
const (
	maxServicesCol = 40
	maxRootCol     = 60
	maxErrorCol    = 80
)

// table renders a listing as aligned columns under a header, the trace ID
// first so that it can be pasted into jstrace trace:
//
//	TRACE ID                          START                DURATION  SPANS  SERVICES                   ROOT                     BOTTLENECK                 ERROR
//	4bf92f3577b34da6a3ce929d0e0e4736  2026-11-30 12:00:00  900.00ms  8      gateway, orders, payments  gateway: POST /checkout  payments: charge 812.00ms  card declined (+1)
//	00f067aa0ba902b700f067aa0ba902b7  2026-11-30 12:00:01  12.345s   3      orders, payments           orders: create order     orders: reserve 12.001s    -
//
// Names are escaped (no control character, tab or newline reaches the
// terminal or breaks a column) and cut. Start times are in loc.
func table(out *output, list []tracestore.Summary, necks []*neck, loc *time.Location) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACE ID\tSTART\tDURATION\tSPANS\tSERVICES\tROOT\tBOTTLENECK\tERROR")
	for i := range list {
		s := &list[i]
		root := s.Service + ": " + s.Operation
		if !s.Root {
			root += " (no root yet)"
		}
		errText := "-"
		if s.Errors > 0 {
			errText = cutRunes(s.Error, maxErrorCol)
			if errText == "" {
				errText = "error"
			}
			if s.Errors > 1 {
				errText += " (+" + strconv.Itoa(s.Errors-1) + ")"
			}
		}
		bottleneck := "-"
		if n := necks[i]; n != nil {
			bottleneck = cutRunes(n.Service+": "+n.Operation, maxRootCol) + " " + waterfall.FormatDuration(n.self)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n",
			out.field(s.TraceID),
			s.Start.In(loc).Format(time.DateTime),
			waterfall.FormatDuration(s.Duration),
			s.Spans,
			out.field(cutRunes(strings.Join(s.Services, ", "), maxServicesCol)),
			out.field(cutRunes(root, maxRootCol)),
			out.field(bottleneck),
			out.field(errText))
	}
	tw.Flush()
	return b.String()
}

// cutRunes cuts s to n runes, the cut marked with "…".
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// listed is a listing's line in JSON.
type listed struct {
	TraceID    string   `json:"trace_id"`
	Service    string   `json:"service"`
	Operation  string   `json:"operation"`
	DurationMS float64  `json:"duration_ms"`
	Start      string   `json:"start"` // RFC 3339, nanoseconds, UTC
	Spans      int      `json:"spans"`
	Services   []string `json:"services"`
	Errors     int      `json:"errors"`
	Error      string   `json:"error"` // the first error's message; "" when none
	Root       bool     `json:"root"`  // the root span has arrived
	// Bottleneck is the span jstrace trace marks; null if the trace has
	// gone since it was listed.
	Bottleneck *neck `json:"bottleneck"`
}

// jsonLines renders a listing as one JSON object a line, for jq and
// scripts. Strings are JSON's, with the characters a terminal would act on
// (DEL, C1 controls, bidirectional overrides) escaped as \uXXXX too.
func jsonLines(list []tracestore.Summary, necks []*neck) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i := range list {
		s := &list[i]
		services := s.Services
		if services == nil {
			services = []string{}
		}
		enc.Encode(listed{
			TraceID:    s.TraceID,
			Service:    s.Service,
			Operation:  s.Operation,
			DurationMS: float64(s.Duration) / float64(time.Millisecond),
			Start:      s.Start.UTC().Format(time.RFC3339Nano),
			Spans:      s.Spans,
			Services:   services,
			Errors:     s.Errors,
			Error:      s.Error,
			Root:       s.Root,
			Bottleneck: necks[i],
		})
	}
	return jsonSafe(b.String())
}

// jsonSafe escapes, in JSON text, the characters encoding/json leaves as
// they are but a terminal would act on (printable.Text's: DEL, C1
// controls, bidirectional overrides and marks) as \uXXXX, which within a
// string means the same. (encoding/json already escapes C0 controls and
// replaces invalid UTF-8.)
func jsonSafe(s string) string {
	var b strings.Builder
	last := 0
	for i, r := range s {
		if r < utf8.RuneSelf && r != 0x7f {
			continue
		}
		if c := string(r); printable.Text(c) != c {
			b.WriteString(s[last:i])
			fmt.Fprintf(&b, `\u%04x`, r)
			last = i + len(c)
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
