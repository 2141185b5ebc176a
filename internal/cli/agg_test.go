package cli

import (
	"strings"
	"testing"
	"time"
)

func TestAggArgs(t *testing.T) {
	ok := func(o AggOptions) AggOptions {
		if o.Every == 0 {
			o.Every = time.Second
		}
		if o.Hist == "" {
			o.Hist = "log"
		}
		if o.Unit == "" {
			o.Unit = "auto"
		}
		return o
	}
	for _, tt := range []struct {
		name string
		opts AggOptions
		want string // the arguments joined by |, or the error's text
	}{
		{"count", ok(AggOptions{Probes: "request:end"}), "request:end|||||1s||0|number"},
		{"by of", ok(AggOptions{Probes: "request:*", By: "path,status", Of: "duration", Top: 5}), "request:*|path,status|duration|||1s||5|duration"},
		{"where total", ok(AggOptions{Probes: "db:query", Of: "rows", Where: "rows>10", Total: true}), "db:query||rows|rows>10||1s|total|0|number"},
		{"pow2", ok(AggOptions{Probes: "x", Of: "n", Hist: "pow2", Unit: "duration"}), "x||n||pow2|1s||0|duration"},
		{"linear", ok(AggOptions{Probes: "x", Of: "n", Hist: "linear:0:100:10"}), "x||n||linear:0:100:10|1s||0|number"},
		{"bad glob", ok(AggOptions{Probes: "a[b"}), "probe glob"},
		{"bad where", ok(AggOptions{Probes: "x", Where: "status>="}), `where "status>=": missing value after >=`},
		{"bad hist", ok(AggOptions{Probes: "x", Of: "n", Hist: "cubic"}), "want log, pow2 or linear"},
		{"bad linear", ok(AggOptions{Probes: "x", Of: "n", Hist: "linear:10:0:1"}), "must be above"},
		{"linear not numbers", ok(AggOptions{Probes: "x", Of: "n", Hist: "linear:a:1:1"}), "not a number"},
		{"hist without of", ok(AggOptions{Probes: "x", Hist: "pow2"}), "--hist goes with --of"},
		{"too many by", ok(AggOptions{Probes: "x", By: "a,b,c,d,e,f,g,h,i"}), "9 fields, at most 8"},
		{"every too short", ok(AggOptions{Probes: "x", Every: time.Millisecond}), "at least 100ms"},
		{"bad unit", ok(AggOptions{Probes: "x", Of: "n", Unit: "furlongs"}), "want duration, number or auto"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args, err := aggArgs(&tt.opts)
			got := strings.Join(args, "|")
			if err != nil {
				got = err.Error()
				if !strings.Contains(got, tt.want) {
					t.Fatalf("error %q, want it to say %q", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("args %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDurationLike(t *testing.T) {
	for name, want := range map[string]bool{"duration": true, "db_latency": true, "pause": true, "wait_ns": true, "t_ns": true, "rows": false, "status": false, "": false} {
		if durationLike(name) != want {
			t.Errorf("durationLike(%q) = %v", name, !want)
		}
	}
}
