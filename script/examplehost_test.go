package script_test

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// exampleSession returns the Traces that a traced process's agent hands to
// Remote, for the examples: its host calls handlers and feeds
// Aggregations on the goroutine that fires the probe, so that the examples'
// output follows their probes. end detaches it.
func exampleSession() (traces *script.Traces, end func()) {
	h := &exampleHost{}
	return scripthost.NewTraces(h), func() {
		for _, s := range h.subs {
			s.Close()
		}
	}
}

type exampleHost struct{ subs []*jstrace.Subscription }

var exampleOrigin = scripthost.Origin{Hostname: "api-1", Title: "api", PID: 7}

func (h *exampleHost) subscribe(pattern string, fn func(jstrace.Event)) {
	match := func(name string) bool { ok, _ := path.Match(pattern, name); return ok }
	h.subs = append(h.subs, jstrace.SubscribeFunc(match, fn))
}

func (h *exampleHost) On(pattern string, fn func(*script.Trace)) error {
	h.subscribe(pattern, func(e jstrace.Event) {
		t := new(script.Trace)
		if scripthost.LoadTrace(t, slices.Clone(e.Record()), exampleOrigin) == nil {
			fn(t)
		}
	})
	return nil
}

func (h *exampleHost) Aggregate(pattern string, f scripthost.Feed) error {
	h.subscribe(pattern, f.Event)
	return nil
}

func (h *exampleHost) Emit(string, []any) {}

// Print prints what Dump and Draw print, prefixed as the CLI prints it.
func (h *exampleHost) Print(stream byte, text string) {
	if stream == 3 {
		for _, l := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
			fmt.Printf("%s >> %s\n", exampleOrigin.Prefix(), strings.TrimSuffix(l, "\n"))
		}
	}
}

func (h *exampleHost) Every(time.Duration, func()) {}
func (h *exampleHost) OnCleanup(func())            {}
