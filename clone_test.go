package jstrace_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

// fireFromStack fires p with values that live on this frame's stack: a
// string converted from a stack byte array, a struct behind a pointer.
//
//go:noinline
func fireFromStack(ctx context.Context, p *jstrace.Probe, i int) {
	var raw [16]byte
	copy(raw[:], fmt.Sprintf("v%015d", i))
	type point struct{ X, Y int }
	pt := point{i, -i}
	p.EmitContext(ctx, "s", string(raw[:]), "n", i, "d", time.Duration(i), "pt", &pt, "err", errors.New("boom"))
}

// clobber overwrites the stack below the caller with garbage.
//
//go:noinline
func clobber(depth int) byte {
	var junk [512]byte
	for i := range junk {
		junk[i] = byte(depth + i)
	}
	if depth > 0 {
		return clobber(depth-1) + junk[depth%len(junk)]
	}
	return junk[0]
}

// TestCloneOutlivesTheProbe keeps clones of events whose values lived on
// the probe caller's stack, overwrites that stack and collects garbage:
// every clone still reads what was fired. Kept without Clone, the same
// values would read the garbage (or crash the collector).
func TestCloneOutlivesTheProbe(t *testing.T) {
	p := jstrace.NewProbe("clonetest:stack")
	var mu sync.Mutex
	var kept []jstrace.Event
	var records [][]byte
	unsubscribe, err := jstrace.On("clonetest:stack", func(e jstrace.Event) {
		c := e.Clone()
		mu.Lock()
		kept = append(kept, c)
		records = append(records, bytes.Clone(e.Record()))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	ctx := jstrace.WithRequestID(context.Background(), "req-1")
	const n = 200
	for i := 0; i < n; i++ {
		fireFromStack(ctx, p, i)
		clobber(8)
		if i%50 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	if len(kept) != n {
		t.Fatalf("kept %d events, want %d", len(kept), n)
	}
	var wg sync.WaitGroup
	for i := range kept { // a clone may be read from any goroutine
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &kept[i]
			kv, plain := c.Args()
			got := fmt.Sprint(kv)
			want := fmt.Sprintf("[request_id req-1 s v%015d n %d d %v pt {X:%d Y:%d} err boom]", i, i, time.Duration(i), i, -i)
			if got != want || plain {
				t.Errorf("clone %d: args %s (plain %v), want %s (not plain)", i, got, plain, want)
			}
			if !bytes.Equal(c.Record(), records[i]) {
				t.Errorf("clone %d: record differs from the original's", i)
			}
			if c.Name() != "clonetest:stack" || c.RequestID() != "req-1" || c.Time().IsZero() {
				t.Errorf("clone %d: name %q, id %q, time %v", i, c.Name(), c.RequestID(), c.Time())
			}
		}(i)
	}
	wg.Wait()
}

func TestClonePlain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kv    []any
		plain bool
		want  string
	}{
		{"plain", []any{"a", 1, "b", "x", "c", true, "d", 1.5, "e", time.Second}, true, "[a 1 b x c true d 1.5 e 1s]"},
		{"odd", []any{"a"}, false, "[a]"},
		{"slice becomes text", []any{"a", []int{1, 2}}, false, "[a [1 2]]"},
		{"nil", []any{"a", nil}, false, "[a <nil>]"},
		{"long string kept whole", []any{"a", strings.Repeat("x", 2000)}, false, "[a " + strings.Repeat("x", 2000) + "]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "clonetest:" + strings.ReplaceAll(tc.name, " ", "-")
			p := jstrace.NewProbe(name)
			var c jstrace.Event
			var origPlain bool
			unsubscribe, err := jstrace.On(name, func(e jstrace.Event) {
				_, origPlain = e.Args()
				c = e.Clone()
			})
			if err != nil {
				t.Fatal(err)
			}
			p.Emit(tc.kv...)
			unsubscribe()
			kv, plain := c.Args()
			if plain != tc.plain || plain != origPlain {
				t.Errorf("plain: clone %v, original %v, want %v", plain, origPlain, tc.plain)
			}
			if got := fmt.Sprint(kv); got != tc.want {
				t.Errorf("args %.80s, want %.80s", got, tc.want)
			}
		})
	}
}
