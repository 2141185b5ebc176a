package e2e

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The example scripts that draw (traces.Draw with script.Bars, Chart,
// Quantize), through the real CLI against the real service, their output
// piped: frames appended, an empty line between two, as wide as $COLUMNS
// says.
func TestDrawExamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start("api", "web-1")
	tests := []struct {
		script   string
		duration string
		line     *regexp.Regexp // every line of every frame
		want     []*regexp.Regexp
		full     bool // the widest line of a frame is $COLUMNS wide
	}{
		{"status-bars.go", "2500ms", regexp.MustCompile(`^  +\d{3} \| =* *\| \d+$`),
			[]*regexp.Regexp{regexp.MustCompile(`(?m)^  +200 \| =+ *\| \d+$`), regexp.MustCompile(`(?m)^  +500 \| `)}, true},
		{"chart.go", "3500ms", regexp.MustCompile(`^(\d+ req/s|\s*\d* [┤│└].*)$`),
			[]*regexp.Regexp{regexp.MustCompile(`(?m)^ *[1-9]\d* ┤[ ▁▂▃▄▅▆▇█]*█`), regexp.MustCompile(`(?m)^ *0 ┤`), regexp.MustCompile(`(?m)^ +└─+$`)}, false},
		{"latency-histogram.go", "2500ms", regexp.MustCompile(`^(  \d{3}| +value  -+ Distribution -+ count| +\d+ \|@* +\d+)$`),
			[]*regexp.Regexp{regexp.MustCompile(`(?m)^  200$`), regexp.MustCompile(`(?m)^ +\d+ \|@+ +[1-9]\d*$`)}, true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.script, ".go"), func(t *testing.T) {
			t.Parallel()
			r := e.jstraceEnv([]string{"COLUMNS=64"}, "--duration", tt.duration, "-t", "api", "examples/scripts/"+tt.script)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "\x1b") {
				t.Errorf("escape sequences in piped output:\n%q", r.stdout)
			}
			frames := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n\n")
			if len(frames) < 2 {
				t.Fatalf("%d frames, want 2 or more\nstdout:\n%s\nstderr:\n%s", len(frames), r.stdout, r.stderr)
			}
			for _, f := range frames {
				widest := 0
				for _, l := range strings.Split(f, "\n") {
					if !tt.line.MatchString(l) {
						t.Errorf("line %q is not %s\nstdout:\n%s", l, tt.line, r.stdout)
					}
					widest = max(widest, utf8.RuneCountInString(l))
				}
				if widest > 64 || tt.full && widest != 64 {
					t.Errorf("frame %d columns wide, $COLUMNS is 64:\n%s", widest, f)
				}
			}
			for _, re := range tt.want {
				if !re.MatchString(r.stdout) {
					t.Errorf("output lacks %s\nstdout:\n%s", re, r.stdout)
				}
			}
		})
	}
}
