package cli

// aggScript is the script jstrace agg runs: every value it needs comes
// from traces.Args() (aggArgs), so no user text is ever pasted into Go
// source. Remote aggregates the probes natively and ships its groups
// every second; Local merges every agent's and draws a table each
// interval, starting half a shipment after the first arrives, so that
// an interval holds one shipment of each agent, not zero or two.
const aggScript = `//go:build ignore

package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

const shipped = "jstrace:agg"

func spec(a []string) script.Agg {
	h := script.Hist{}
	if a[4] == "pow2" {
		h = script.Pow2()
	} else if strings.HasPrefix(a[4], "linear:") {
		p := strings.Split(a[4], ":")
		lo, _ := strconv.ParseFloat(p[1], 64)
		hi, _ := strconv.ParseFloat(p[2], 64)
		step, _ := strconv.ParseFloat(p[3], 64)
		h = script.Linear(lo, hi, step)
	}
	return script.Agg{By: a[1], Of: a[2], Where: a[3], Hist: h}
}

func Remote(traces *script.Traces) {
	a := traces.Args()
	traces.Ship(shipped, traces.Aggregate(a[0], spec(a)))
}

func Local(traces *script.Traces) {
	a := traces.Args()
	by, of, cumulative, unit := a[1], a[2], a[6] == "total", a[8]
	every, _ := time.ParseDuration(a[5])
	top, _ := strconv.Atoi(a[7])
	merged := traces.Merged(shipped)
	begun := false
	// The window a table covers, for its rates: per agent, from the last
	// shipment of the previous table (or a ShipEvery before its first:
	// a shipment holds the period before it) to its last shipment.
	from := map[string]time.Time{} // per agent: where this table's window starts
	to := map[string]time.Time{}   // per agent: its last shipment's arrival
	value := func(v float64) string {
		switch unit {
		case "duration":
			return fmtDur(time.Duration(v))
		}
		if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return sig3(v)
	}
	draw := func() {
		now := time.Now()
		var gs []script.Group
		if cumulative {
			gs = merged.Snapshot()
		} else {
			gs = merged.Take()
		}
		secs := 0.0
		for k, end := range to {
			if w := end.Sub(from[k]).Seconds(); w > secs {
				secs = w
			}
		}
		if !cumulative {
			for k, end := range to {
				from[k] = end
			}
		}
		sort.Slice(gs, func(i, j int) bool {
			if gs[i].Count != gs[j].Count {
				return gs[i].Count > gs[j].Count
			}
			return gs[i].Key < gs[j].Key
		})
		var head []string
		if by != "" {
			head = append(head, strings.Split(strings.ToUpper(by), ",")...)
		}
		head = append(head, "COUNT", "/S")
		if of != "" {
			head = append(head, "MIN", "P50", "P90", "P99", "MAX")
		}
		rows := [][]string{head}
		n := 0
		for _, g := range gs {
			if top > 0 && n == top {
				break
			}
			n++
			var row []string
			if by != "" {
				row = append(row, g.Keys...)
			}
			rate := 0.0
			if secs > 0 {
				rate = float64(g.Count) / secs
			}
			row = append(row, strconv.Itoa(g.Count), strconv.FormatFloat(rate, 'f', 1, 64))
			if of != "" {
				row = append(row, value(g.Min), value(g.Quantile(0.5)), value(g.Quantile(0.9)), value(g.Quantile(0.99)), value(g.Max))
			}
			rows = append(rows, row)
		}
		frame := now.Format("15:04:05") + "  " + a[0]
		if len(gs) > n {
			frame += fmt.Sprintf("  (top %d of %d groups)", n, len(gs))
		}
		if d := merged.Dropped(); d > 0 {
			frame += fmt.Sprintf("  (%d traces over the group limit, not counted)", d)
		}
		traces.Draw(frame + "\n" + script.Table(rows, traces.Width()))
	}
	traces.On(shipped, func(t *script.Trace) {
		k := fmt.Sprintf("%s/%d", t.Hostname, t.PID)
		if _, ok := from[k]; !ok {
			from[k] = time.Now().Add(-script.ShipEvery)
		}
		to[k] = time.Now()
		if begun {
			return
		}
		begun = true
		// Each interval then holds every agent's shipment once, not zero
		// or two.
		traces.Every(script.ShipEvery/2, func() {
			if every > 0 {
				traces.Every(every, draw)
				every = 0
			}
		})
	})
}

func fmtDur(d time.Duration) string {
	v, unit := float64(d), "ns"
	switch {
	case d >= time.Second || d <= -time.Second:
		v, unit = v/1e9, "s"
	case d >= time.Millisecond || d <= -time.Millisecond:
		v, unit = v/1e6, "ms"
	case d >= time.Microsecond || d <= -time.Microsecond:
		v, unit = v/1e3, "µs"
	}
	return sig3(v) + unit
}

// sig3 formats v with three significant digits, as 1.23, 12.3 or 123.
func sig3(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	digits := 2
	if a >= 100 {
		digits = 0
	} else if a >= 10 {
		digits = 1
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}
`
