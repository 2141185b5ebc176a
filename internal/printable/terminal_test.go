package printable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct{ in, text, field string }{
		{"plain text", "plain text", "plain text"},
		{"a\tb\nc", "a\tb\nc", `a\x09b\x0ac`},
		{"héllo, 世界", "héllo, 世界", "héllo, 世界"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, `\x1b]0;pwned\x07`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`, `\x1b[2J\x1b[H`},
		{"\x1b]52;c;cm0gLXJmIH4=\x1b\\", `\x1b]52;c;cm0gLXJmIH4=\x1b\`, `\x1b]52;c;cm0gLXJmIH4=\x1b\`},
		{"over\rwrite", `over\x0dwrite`, `over\x0dwrite`},
		{"del\x7f", `del\x7f`, `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`, `c1 \u009b31m`},
		{"raw c1 \x9b31m", `raw c1 \x9b31m`, `raw c1 \x9b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`, `bidi \u202egnp.exe`},
		{"cut \xe4\xb8", `cut \xe4\xb8`, `cut \xe4\xb8`},
		{"nul\x00", `nul\x00`, `nul\x00`},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.text {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := Field(tt.in); got != tt.field {
			t.Errorf("Field(%q) = %q, want %q", tt.in, got, tt.field)
		}
	}
}

// safe reports whether s holds nothing a terminal acts on beyond layout.
func safe(s string, field bool) bool {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return false
		}
		if r < 0x20 && !(!field && (r == '\n' || r == '\t')) || r == 0x7f || r >= 0x80 && r <= 0x9f || unsafeRune(r, utf8.RuneLen(r)) {
			return false
		}
	}
	return true
}

// FuzzText: whatever comes in, what goes out is safe, and safe input is
// left alone.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a\x1b[31mb", "\xff\xfe", "\u202e", "x\n\ty", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, field := range []bool{false, true} {
			out := escape(s, field)
			if !safe(out, field) {
				t.Fatalf("escape(%q, %v) = %q: not safe", s, field, out)
			}
			if safe(s, field) && out != s {
				t.Fatalf("escape(%q, %v) = %q: changed safe text", s, field, out)
			}
		}
	})
}

func BenchmarkTextClean(b *testing.B) {
	s := strings.Repeat("GET /api/v1/users 200 1.2ms\n", 40)
	for b.Loop() {
		Text(s)
	}
}
