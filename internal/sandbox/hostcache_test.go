package sandbox

import (
	"runtime"
	"testing"
)

const cacheScript = `package main

import (
	"slices"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Every(time.Second, func() {
		traces.Emit("n", "s", strconv.Itoa(slices.Index([]int{1}, 1)))
	})
}
`

// The host's types are shared by checks that overlap, and freed by the
// collector once no check holds them: a service that was traced once does
// not mark them at every collection for the rest of its life.
func TestHostCacheLivesWhileChecksHoldIt(t *testing.T) {
	h := currentHostCache()
	if err := Check("a.go", []byte(cacheScript)); err != nil {
		t.Fatal(err)
	}
	if currentHostCache() != h {
		t.Fatal("a check held the cache and another did not get the same one")
	}
	if len(h.generic.pkgs) == 0 || len(h.types.pkgs) == 0 {
		t.Fatalf("the check did not fill the cache it shared: %d generic packages, %d host packages", len(h.generic.pkgs), len(h.types.pkgs))
	}
	runtime.KeepAlive(h)
	h = nil
	runtime.GC()
	runtime.GC()
	if hostCaches.current.Value() != nil {
		t.Fatal("the host's types outlived every check that held them")
	}
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Compile("a.go", []byte(cacheScript)); err != nil {
		t.Fatalf("a check after the cache was freed: %v", err)
	}
}
