package engine

import (
	"fmt"
	"testing"
	"time"
)

// streamOutput records what is printed, with its stream.
type streamOutput struct {
	fakeOutput
	lines []string
}

func (o *streamOutput) Print(stream byte, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, fmt.Sprintf("print %d %q", stream, text))
}

// frameOutput is the CLI's kind of Output: it draws frames itself.
type frameOutput struct{ streamOutput }

func (o *frameOutput) Frame(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, fmt.Sprintf("frame %q", text))
}

func (o *frameOutput) Width() int { return 132 }

const drawSrc = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Draw("a\nb")
	traces.Logf("%d", traces.Width())
}
`

// traces.Draw reaches an Output that draws frames (the CLI's Local) as a
// frame, any other (an agent's) as Dump output; traces.Width is the
// Output's, or the default.
func TestFrameAndWidth(t *testing.T) {
	tests := []struct {
		name string
		out  interface {
			Output
			recorded() []string
		}
		want []string
	}{
		{"agent", &streamOutput{}, []string{`print 3 "a\nb\n"`, `print 1 "80\n"`}},
		{"cli", &frameOutput{}, []string{`frame "a\nb\n"`, `print 1 "132\n"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Start("d.go", []byte(drawSrc), Remote, tt.out, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if e.Stop(within(t, 5*time.Second)) != nil {
				t.Fatal("Stop timed out")
			}
			if got := tt.out.recorded(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func (o *streamOutput) recorded() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}
