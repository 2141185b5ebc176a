package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// The drawing helpers take a script's values as the interpreter builds
// them: maps and slices of the script's own named types included.
func TestDrawFromScripts(t *testing.T) {
	tests := []struct {
		name, decls, body string
		want              string // printed, or
		panics            string // the panic's start
	}{
		{"named map", "type status int\ntype counts map[status]uint16",
			`traces.Draw(script.Bars(counts{200: 4, 500: 2}, 30))`,
			"  200 | ================== | 4\n  500 | =========          | 2\n", ""},
		{"durations", "",
			`traces.Draw(script.QuantizeValues([]time.Duration{3, 3, 9}, 30))`,
			"  value   Distribution - count\n      1 |                0\n      2 |@@@@@@@@@@      2\n      4 |                0\n      8 |@@@@@           1\n     16 |                0\n", ""},
		{"series", "",
			`var s script.Series
			for i := 0; i < 5; i++ { s.Add(float64(i)) }
			traces.Draw(script.Sparkline(s.Values(), 0))`,
			" ▂▄▆█\n", ""},
		{"named slice", "type rates []float32",
			`traces.Draw(script.Chart(rates{1, 2}, 0, 2))`,
			"2 ┤ █\n0 ┤██\n  └──\n", ""},
		{"table", "",
			`traces.Draw(script.Table([][]string{{"A", "N"}, {"x", "10"}}, traces.Width()))`,
			"A   N\nx  10\n", ""},
		{"struct keys", "type key struct{ a int }",
			`script.Bars(map[key]int{{1}: 1}, 0)`, "", "script.Bars: want a map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, printed := runRemote(t, []string{"time"}, tt.decls+"\nvar _ = time.Second", tt.body)
			if tt.panics != "" {
				if !strings.Contains(fmt.Sprint(got), tt.panics) {
					t.Errorf("panicked with %v, want %q", got, tt.panics)
				}
				return
			}
			if got != nil {
				t.Fatalf("panicked: %v", got)
			}
			if printed != tt.want {
				t.Errorf("printed\n%q\nwant\n%q", printed, tt.want)
			}
		})
	}
}
