package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestFrame: how frames reach a terminal (redrawn in place over the
// previous one) and a pipe (appended), and what stops a redraw.
func TestFrame(t *testing.T) {
	const up = "\r\x1b[%A\x1b[J" // % is the rows moved up
	mv := func(rows string) string { return strings.Replace(up, "%", rows, 1) }
	type step struct {
		frame string // a frame, or
		print string // other output
	}
	tests := []struct {
		name  string
		tty   bool
		cols  int
		rows  int
		raw   bool
		steps []step
		want  string
	}{
		{"terminal redraws in place", true, 80, 24, false,
			[]step{{frame: "a\nb\n"}, {frame: "c\n"}, {frame: "d\ne\nf\n"}},
			"a\nb\n" + mv("2") + "c\n" + mv("1") + "d\ne\nf\n"},
		{"other output in between", true, 80, 24, false,
			[]step{{frame: "a\nb\n"}, {print: "hello\n"}, {frame: "c\n"}, {frame: "d\n"}},
			"a\nb\nhello\nc\n" + mv("1") + "d\n"},
		{"wrapped lines count their rows", true, 10, 24, false,
			[]step{{frame: strings.Repeat("x", 25) + "\n" + strings.Repeat("é", 10) + "\n\n"}, {frame: "c\n"}},
			strings.Repeat("x", 25) + "\n" + strings.Repeat("é", 10) + "\n\n" + mv("5") + "c\n"},
		{"taller than the terminal", true, 80, 3, false,
			[]step{{frame: "a\nb\nc\n"}, {frame: "d\n"}, {frame: "e\n"}},
			"a\nb\nc\nd\n" + mv("1") + "e\n"},
		{"pipe appends", false, 0, 0, false,
			[]step{{frame: "a\n"}, {frame: "b\n"}, {print: "x\n"}, {frame: "c\n"}},
			"a\n\nb\nx\nc\n"},
		{"escaped", true, 80, 24, false,
			[]step{{frame: "\x1b[2J\x1b]0;title\a\n"}, {frame: "ok\n"}},
			`\x1b[2J\x1b]0;title\x07` + "\n" + mv("1") + "ok\n"},
		{"raw", false, 0, 0, true,
			[]step{{frame: "\x1b[1mbold\x1b[0m\n"}},
			"\x1b[1mbold\x1b[0m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			o := &output{stdout: &b, stderr: &b, raw: tt.raw,
				size: func(w io.Writer) (bool, int, int) {
					if w != &b {
						t.Errorf("size of %T, not stdout", w)
					}
					return tt.tty, tt.cols, tt.rows
				}}
			for _, s := range tt.steps {
				if s.frame != "" {
					o.frame(s.frame)
				} else {
					o.write(o.stderr, s.print)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestScreenRows(t *testing.T) {
	tests := []struct {
		text string
		cols int
		want int
	}{
		{"", 80, 0},
		{"\n", 80, 1},
		{"abc\n", 3, 1},
		{"abcd\n", 3, 2},
		{"abcdefg\n\n", 3, 4},
		{"abcdefg\n", 0, 1},
		{"──\n", 1, 2},
	}
	for _, tt := range tests {
		if got := screenRows(tt.text, tt.cols); got != tt.want {
			t.Errorf("screenRows(%q, %d) = %d, want %d", tt.text, tt.cols, got, tt.want)
		}
	}
}
