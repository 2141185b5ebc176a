package jstrace_test

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

func TestSubscribeFlight(t *testing.T) {
	in, out := jstrace.NewProbe("flight:in"), jstrace.NewProbe("flight:out")
	sub := jstrace.SubscribeFlight(func(n string) bool { return n == "flight:in" }, jstrace.MinFlightSize)
	if !in.Enabled() || out.Enabled() {
		t.Fatal("the recorder enables exactly the probes it matches")
	}
	for i := range 10000 {
		in.Emit("i", i)
		out.Emit("i", i)
	}
	jstrace.Trace("flight:in", "i", 10000)
	got, st := sub.Snapshot(nil)
	if st.Records != 10001 || st.Size != jstrace.MinFlightSize || len(got) > jstrace.MinFlightSize {
		t.Fatalf("stats %+v, %d bytes", st, len(got))
	}
	if len(sub.Read(nil)) != 0 || sub.Dropped() != 0 {
		t.Fatal("a flight recorder has nothing to Read")
	}
	sub.Close()
	if in.Enabled() {
		t.Fatal("Close left the probe enabled")
	}
	if again, _ := sub.Snapshot(nil); len(again) != len(got) {
		t.Fatal("records were lost at Close")
	}
}

func TestAllocsFlightEmit(t *testing.T) {
	p := jstrace.NewProbe("alloc:flight")
	sub := jstrace.SubscribeFlight(func(n string) bool { return n == "alloc:flight" }, 1<<20)
	defer sub.Close()
	n, s := 0, "GET"
	got := testing.AllocsPerRun(10000, func() {
		n++
		p.Emit("id", n, "method", s, "status", 200, "duration", time.Duration(n))
	})
	if got != 0 {
		t.Fatalf("Emit into a flight recorder: %v allocs per call", got)
	}
}
