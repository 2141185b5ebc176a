package cli

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// A session that ends while a rescan is still running (a slow dial) must
// not leave the rescan's goroutine blocked forever on telling a wait that
// has returned (issue 11).
func TestSessionEndDuringRescanLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t)
	inScan := make(chan struct{})
	release := make(chan struct{})
	tr := &tracer{
		opts:    &TraceOptions{},
		sel:     &selector{}, // any agent: the session rescans
		agents:  map[string]*agent{},
		changed: make(chan struct{}, 1),
		scanFn: func(context.Context) (int, error) {
			close(inScan) // wait starts one scan at a time: this one never ends in time
			<-release
			return 0, nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.wait(ctx, nil) }()
	select {
	case <-inScan:
	case <-time.After(10 * rescanEvery):
		t.Fatal("no rescan started")
	}
	cancel() // the session ends, as at Ctrl-C or --duration
	if err := <-done; err != nil {
		t.Fatalf("wait: %v", err)
	}
	close(release) // the scan finishes after the session's end
}
