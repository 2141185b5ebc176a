package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// The quick start's handler fires its probes, request:end with the fields
// the README's script reads.
func TestHelloFires(t *testing.T) {
	fields := map[string]string{} // copies: an Event's fields live on the probe's stack
	end := jstrace.SubscribeFunc(func(n string) bool { return n == "request:end" }, func(e jstrace.Event) {
		kv, _ := e.Args()
		for i := 0; i+1 < len(kv); i += 2 {
			fields[fmt.Sprint(kv[i])] = fmt.Sprintf("%T %v", kv[i+1], kv[i+1])
		}
	})
	defer end.Close()
	agents := 0
	agent := jstrace.SubscribeFunc(func(n string) bool { return n == "hello:agent" }, func(jstrace.Event) { agents++ })
	defer agent.Close()

	hello(httptest.NewRecorder(), httptest.NewRequest("GET", "/hi", nil))
	if fields["path"] != "string /hi" || fields["status"] != "int 200" || !strings.HasPrefix(fields["duration"], "time.Duration ") {
		t.Errorf("request:end fields %v, want path /hi, status 200 and a duration", fields)
	}
	if agents != 1 {
		t.Errorf("hello:agent fired %d times, want 1", agents)
	}
}
