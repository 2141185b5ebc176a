package waterfall

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// randomTrace builds n spans from seed: parents earlier, later (cycles),
// missing, themselves or none; IDs repeated now and then; three services
// on clocks apart; some failed.
func randomTrace(seed uint64, n int) []Span {
	r := rand.New(rand.NewPCG(seed, seed>>32|1))
	spans := make([]Span, n)
	for i := range spans {
		s := &spans[i]
		s.ID = fmt.Sprintf("%04x", i)
		if r.IntN(50) == 0 && i > 0 {
			s.ID = spans[r.IntN(i)].ID // a duplicate
		}
		switch k := r.IntN(20); {
		case k == 0:
			s.Parent = ""
		case k == 1:
			s.Parent = "gone"
		case k == 2:
			s.Parent = s.ID
		case k == 3:
			s.Parent = fmt.Sprintf("%04x", r.IntN(n)) // maybe later: cycles
		case i > 0:
			s.Parent = spans[r.IntN(i)].ID
		}
		svc := r.IntN(3)
		s.Service, s.Operation = fmt.Sprintf("svc%d", svc), "op"+s.ID
		s.Start = t0.Add(time.Duration(svc)*time.Duration(r.Int64N(int64(time.Second))) + time.Duration(r.Int64N(int64(time.Second))))
		s.Duration = time.Duration(r.Int64N(int64(2 * time.Second)))
		if r.IntN(10) == 0 {
			s.Failed, s.Error = true, "boom\n"+s.ID
		}
	}
	return spans
}

// FuzzRender lays out random span trees at random widths: it never
// panics, prints every span once (each duplicate ID once), and no line is
// wider than the width.
func FuzzRender(f *testing.F) {
	f.Add(uint64(1), uint16(30), uint16(80), uint8(0), uint8(3))
	f.Add(uint64(2), uint16(1000), uint16(40), uint8(15), uint8(1))
	f.Add(uint64(3), uint16(1), uint16(0), uint8(200), uint8(2))
	f.Fuzz(func(t *testing.T, seed uint64, n, width uint16, gauge, flags uint8) {
		spans := randomTrace(seed, int(n%2000))
		o := Options{Width: int(width), Gauge: int(gauge), Bottleneck: flags&1 != 0, Orphans: flags&2 != 0}
		l := New(spans, o)
		var b bytes.Buffer
		l.WriteSpans(&b)
		l.WriteSummary(&b)

		ids := map[string]bool{}
		failed := 0
		for _, s := range spans {
			if !ids[s.ID] && s.Failed {
				failed++
			}
			ids[s.ID] = true
		}
		order, _ := l.Order()
		if len(order) != len(ids) {
			t.Fatalf("%d spans printed, want %d", len(order), len(ids))
		}
		for _, s := range order {
			if !ids[s.ID] {
				t.Fatalf("span %s printed twice", s.ID)
			}
			ids[s.ID] = false
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if spanLines := strings.Count(b.String(), "] "); spanLines != len(order) {
			t.Fatalf("%d span lines, want %d", spanLines, len(order))
		}
		if len(spans) > 0 && len(lines) < len(order)+failed {
			t.Fatalf("%d lines for %d spans, %d failed", len(lines), len(order), failed)
		}
		for _, line := range lines {
			if w := len([]rune(line)); w > clampWidth(o.Width) {
				t.Fatalf("a line of %d columns, wider than %d: %q", w, clampWidth(o.Width), line)
			}
		}
		if _, _, ok := l.Bottleneck(); ok != (len(spans) > 0) {
			t.Fatalf("bottleneck found: %v, with %d spans", ok, len(spans))
		}
	})
}

// BenchmarkRender lays out and writes a 1,000-span trace of three
// services, as jstrace trace does (the floor: under 100 ms).
func BenchmarkRender(b *testing.B) {
	spans := randomTrace(7, 1000)
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		l := New(spans, Options{Width: 200, Bottleneck: true, Orphans: true, Color: true})
		l.WriteHeader(&buf, "trace")
		l.WriteSpans(&buf)
		l.WriteSummary(&buf)
	}
	b.ReportMetric(float64(b.N*len(spans))/b.Elapsed().Seconds(), "spans/s")
}

// TestStandardLibraryOnly: package export links this package into
// services, which must not pay for more than the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 1 || got[0] != "github.com/jstrace-go/jstrace/internal/waterfall" {
		t.Errorf("depends on %q; want the standard library only", got)
	}
}
