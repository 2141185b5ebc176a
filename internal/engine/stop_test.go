package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// Stop waits no longer than its context, even while a cleanup blocks in
// native code that no kill can interrupt; Abandon does not wait; Wait
// reports the end once the native call returns.
func TestStopHonoursItsContext(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{})
	pkgs := map[string]map[string]reflect.Value{"example.com/block": {"Wait": reflect.ValueOf(func() {
		close(entered)
		<-release
	})}}
	src := `package main

import (
	"example.com/block"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) { traces.OnCleanup(block.Wait) }
`
	e, err := Start("s.go", []byte(src), Remote, &fakeOutput{}, Options{Packages: pkgs})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err = e.Stop(within(t, 200*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the context's error", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Fatalf("Stop with a 200ms context took %v", d)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the cleanup did not run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop with a cancelled context = %v", err)
	}
	e.Abandon() // returns at once: the test would hang otherwise
	close(release)
	if err := e.Wait(within(t, 5*time.Second)); err != nil {
		t.Fatalf("the engine did not end once the native call returned: %v", err)
	}
}
