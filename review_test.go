package jstrace_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// A span handed to exporters at End must not change afterwards: SpanData
// says it is "complete, and owned by no one else" and may be read from any
// goroutine. SetTag/Log/SetError after End still write to it.
func TestReviewNoWritesAfterEnd(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.End()
	got := spans()
	if len(got) != 1 {
		t.Fatalf("%d spans", len(got))
	}
	d := got[0]
	s.SetTag("late", 1)
	s.Log("late")
	s.SetError(errors.New("late"))
	if len(d.Tags) != 0 || len(d.Logs) != 0 || d.Error != nil {
		t.Fatalf("exported SpanData changed after End: tags %v logs %v err %v", d.Tags, d.Logs, d.Error)
	}
}

// The same as a data race: an exporter reading the SpanData on its own
// goroutine (as export's pipeline does) while the owner sets a tag late.
func TestReviewRaceSetTagAfterEnd(t *testing.T) {
	var wg sync.WaitGroup
	stop := jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		wg.Add(1)
		go func() { defer wg.Done(); _ = len(d.Tags); for _, f := range d.Tags { _ = f.Key } }()
	})
	defer stop()
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.End()
	s.SetTag("late", "x")
	wg.Wait()
}
