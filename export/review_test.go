package export

import (
	"bytes"
	"context"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// A console narrower than ~49 columns (a split tmux pane, COLUMNS=45)
// leaves a label narrower than minLabel: the indentation's count goes
// negative and strings.Repeat panics on every trace.
func TestReviewConsoleNarrow(t *testing.T) {
	for _, width := range []int{40, 45, 48} {
		var b bytes.Buffer
		c := Console(&b, ConsoleOptions{Width: width, Color: ColorNever})
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("width %d: panic %v", width, r)
				}
			}()
			err := c.ExportSpans(context.Background(), []*jstrace.SpanData{
				span(tid, 2, 1, "child", 1, 2), span(tid, 1, 0, "GET /orders", 0, 10),
			})
			if err != nil {
				t.Errorf("width %d: %v", width, err)
			}
		}()
		if b.Len() == 0 {
			t.Errorf("width %d: nothing printed", width)
		}
	}
}

// COLUMNS (or Width) has no upper bound: COLUMNS=2000000000 makes every
// waterfall line a 800 MB strings.Repeat, enough to kill the service.
func TestReviewConsoleWidthBounded(t *testing.T) {
	t.Setenv("COLUMNS", "2000000000")
	c := Console(&bytes.Buffer{}, ConsoleOptions{})
	if c.o.Width > 4096 || c.o.GaugeWidth > 4096 {
		t.Errorf("width %d, gauge %d from COLUMNS: unbounded", c.o.Width, c.o.GaugeWidth)
	}
}
