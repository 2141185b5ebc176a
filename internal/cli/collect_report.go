package cli

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/collector"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// collection is one jstrace collect run: the store, the writer into it,
// the session with the agents if any, and the report on stderr.
type collection struct {
	opts   *CollectOptions
	out    *output
	store  tracestore.Store
	writer *collector.Writer
	tracer *tracer // nil without a selection
	// servers are the HTTP receiver and the web page, if asked for.
	servers []*http.Server

	mu      sync.Mutex
	lastErr string          // the store's last failure
	last    collector.Stats // at the last report
	begun   time.Time
	stop    chan struct{} // closed to end the report's goroutine
	done    chan struct{} // closed when it ended
}

// storeFailed is the Writer's OnError: the report says it.
func (c *collection) storeFailed(err error) {
	c.mu.Lock()
	c.lastErr = err.Error()
	c.mu.Unlock()
}

// startReport reports every ReportEvery what was stored, rejected and
// dropped, when anything was.
func (c *collection) startReport() {
	every := c.opts.ReportEvery
	if every == 0 {
		every = defaultReportEvery
	}
	every = max(every, minReportEvery)
	c.begun = time.Now()
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				c.report(every)
			}
		}
	}()
}

func (c *collection) stopReport() {
	if c.stop != nil {
		close(c.stop)
		<-c.done
	}
}

// report prints what happened since the last report, nothing when nothing
// did.
func (c *collection) report(every time.Duration) {
	s := c.writer.Stats()
	c.mu.Lock()
	prev, lastErr := c.last, c.lastErr
	c.last = s
	c.mu.Unlock()
	stored, rejected, dropped, refused := s.Stored-prev.Stored, s.Rejected-prev.Rejected, s.Dropped-prev.Dropped, s.Refused-prev.Refused
	if stored+rejected+dropped+refused > 0 {
		c.out.errorf("last %v: %s", every, counts(stored, s.Traces-prev.Traces, rejected, dropped, refused, reasonsSince(s.Reasons, prev.Reasons)))
	}
	if s.Failures > prev.Failures {
		c.out.errorf("store %s failing, retrying (%d spans waiting): %s", storeName(c.opts.Store), s.Pending, lastErr)
	}
}

// final prints the totals of the run.
func (c *collection) final() {
	s := c.writer.Stats()
	took := time.Duration(0)
	if !c.begun.IsZero() {
		took = time.Since(c.begun).Round(time.Second)
	}
	c.out.errorf("collected in %v: %s", took, counts(s.Stored, s.Traces, s.Rejected, s.Dropped, s.Refused, s.Reasons))
}

// counts says what was stored, rejected and dropped, and how many
// requests were refused whole.
func counts(stored, traces, rejected, dropped, refused uint64, reasons map[string]uint64) string {
	msg := fmt.Sprintf("stored %d spans (%d traces), rejected %d, dropped %d", stored, traces, rejected, dropped)
	if refused > 0 {
		msg += fmt.Sprintf(", %d requests refused", refused)
	}
	if len(reasons) > 0 {
		keys := make([]string, 0, len(reasons))
		for k := range reasons {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %d", k, reasons[k])
		}
		msg += " (" + strings.Join(parts, ", ") + ")"
	}
	return msg
}

// reasonsSince returns the rejections by reason since prev.
func reasonsSince(now, prev map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for k, v := range now {
		if v > prev[k] {
			d[k] = v - prev[k]
		}
	}
	return d
}
