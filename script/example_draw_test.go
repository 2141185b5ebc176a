package script_test

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/script"
)

func ExampleBars() {
	counts := map[int]int{200: 6, 404: 4, 500: 4, 201: 1}
	fmt.Print(script.Bars(counts, 40))
	// Output:
	//   200 | ============================ | 6
	//   404 | ===================          | 4
	//   500 | ===================          | 4
	//   201 | =====                        | 1
}

func ExampleQuantize() {
	traces, end := exampleSession() // what the agent hands to Remote
	defer end()
	reqs := traces.Aggregate("example:quantize:done", script.Agg{Of: "duration"})

	// The traced service, elsewhere:
	done := jstrace.NewProbe("example:quantize:done")
	for _, d := range []time.Duration{3, 5, 6, 7, 12, 40} {
		done.Emit("duration", d*time.Microsecond)
	}

	// Typically in an Every callback:
	for _, g := range reqs.Take() {
		fmt.Print(script.Quantize(g, 60))
	}
	// Output:
	//   value  --------------- Distribution ---------------- count
	//    1024 |                                              0
	//    2048 |@@@@@@@@                                      1
	//    4096 |@@@@@@@@@@@@@@@@@@@@@@@                       3
	//    8192 |@@@@@@@@                                      1
	//   16384 |                                              0
	//   32768 |@@@@@@@@                                      1
	//   65536 |                                              0
}

func ExampleQuantizeValues() {
	fmt.Print(script.QuantizeValues([]int{0, 1, 1, 2, 3, 9}, 50))
	// Output:
	//   value  ---------- Distribution ----------- count
	//      -1 |                                    0
	//       0 |@@@@@@                              1
	//       1 |@@@@@@@@@@@@                        2
	//       2 |@@@@@@@@@@@@                        2
	//       4 |                                    0
	//       8 |@@@@@@                              1
	//      16 |                                    0
}

func ExampleSparkline() {
	perSecond := []int{3, 5, 8, 13, 8, 5, 0, 2}
	fmt.Printf("%s", script.Sparkline(perSecond, 0))
	// Output:
	// ▂▃▅█▅▃ ▁
}

func ExampleChart() {
	var rate script.Series
	for _, n := range []int{4, 8, 15, 16, 23, 42, 30, 12} {
		rate.Add(float64(n)) // typically once a second, in an Every callback
	}
	fmt.Print(script.Chart(rate.Values(), 0, 4))
	// Output:
	// 42 ┤     █
	//    │    ▂█▇
	//    │  ▃▄███▁
	//  0 ┤▃▆██████
	//    └────────
}

func ExampleTable() {
	fmt.Print(script.Table([][]string{
		{"ROUTE", "REQ/S", "P99"},
		{"GET /users/{id}", "120", "1.2ms"},
		{"POST /orders", "8", "35ms"},
	}, 0))
	// Output:
	// ROUTE            REQ/S    P99
	// GET /users/{id}    120  1.2ms
	// POST /orders         8   35ms
}

// In Remote, a frame's lines are prefixed with the process that drew it;
// in Local, the CLI redraws each frame in place of the previous one.
func ExampleTraces_Draw() {
	traces, end := exampleSession() // what the agent hands to Remote
	defer end()
	traces.Draw(script.Bars(map[string]int{"hits": 3, "misses": 1}, traces.Width()/2))
	// Output:
	// api-1/api/7 >>     hits | ========================= | 3
	// api-1/api/7 >>   misses | ========                  | 1
}
