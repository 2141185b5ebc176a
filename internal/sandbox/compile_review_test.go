package sandbox

import (
	"fmt"
	"testing"
)

// reviewCases came from a review of the compiler: handlers on which it
// once differed from the interpreter (the order of a variable's read and
// a script function's call beside it, a map key read before the value,
// several assignments with an element among them, a named result), and
// others it checked. Each must run the same both ways, compiled or not.
var reviewCases = []struct {
	name, decls, body string
}{
	{"order: var read then call", `func inc() int { g++; return 1 }`, `n = g + inc()`},
	{"order: op-assign with call", `func inc() int { g++; return 1 }`, `g += inc()`},
	{"order: emit args", `func inc() int { g++; return 1 }`, `traces.Emit("y", "g", g, "i", inc())`},
	{"order: script fn args", `func inc() int { g++; return 1 }
func add(a, b int) int { return a + b }`, `n = add(g, inc())`},
	{"order: compare", `func inc() int { g++; return 1 }`, `b = g < inc()`},
	{"order: string op-assign", `func app() string { gs += "x"; return "y" }`, `gs += app()`},
	{"order: sprintf", `func app() string { gs += "x"; return "y" }`, `s = fmt.Sprintf("%s %s", gs, app())`},
	{"multi assign map key", ``, `s, ms[s] = t.Str("path"), "v"`},
	{"map key from var changed by rhs call", `func setgs(x string) string { gs = x; return x }`, `ms[gs] = setgs(t.Str("path"))`},
	{"array index changed by rhs call", `func inc() int { g++; return g }`, `hist[g%8] = inc()`},
	{"float consts", `const c float64 = 0.1`, `f = 0.1 + 0.2
		s = fmt.Sprint(c + 0.2, 1.0/3*3)`},
	{"float to int", ``, `n = int(t.Float("ratio") * 1e19)
		total = time.Duration(t.Float("ratio") * -1e300)`},
	{"minint div", ``, `d := t.Int("status") / -200
		n = math.MinInt64 / d
		errors = math.MinInt64 % d`},
	{"sprintf types", ``, `s = fmt.Sprintf("%T %T %T %T %T %T %v", n, t.Dur("duration"), t.Dur("duration").Milliseconds(), 1.5, len(s) > 2, t.PID, t)`},
	{"emit types", ``, `traces.Emit("y", "a", t.Dur("duration").Seconds(), "b", t.Int("status") > 3, "c", time.Second, "d", 7, "e", int64(7), "f", t.Time, "g", t.Time.Sub(t.Time))`},
	{"shadow", ``, `n := n + 1
		g = n
		{ t := t.Int("status"); errors += t }
		if n := t.Int("status"); n > 300 { errors += n }`},
	{"named results twice", `func acc(x int) (r int) { r += x; return }
func z() (r int) { if g > 5 { return 7 }; return }`, `n += acc(1) + acc(2) + z()
		g++`},
	{"nested same fn", `func sq(x int) int { return x * x }`, `n = sq(sq(t.Int("status"))) + sq(2)`},
	{"duration methods", ``, `d := t.Dur("duration") * -3
		s = d.String() + fmt.Sprint(d.Hours(), d.Minutes(), d.Microseconds())
		last = t.Time.Add(d)`},
	{"log types", ``, `traces.Log(n, 1, 2.5, "x", t.Dur("duration"), true, t.Time)
		traces.Logf("%v %T", t.Int("status") == 200, t.Int("status") == 200)`},
	{"rune const", ``, `n += 'a'
		s = strconv.Itoa('b')`},
	{"bool ops", ``, `b = t.Has("path") == (t.Int("status") > 300) != b`},
	{"var decls", ``, `var x, y int = 1, 2
		var z string
		z += t.Name
		x, y = y, x
		n += x*10 + y
		s = z`},
	{"string compare", ``, `b = t.Str("path") < "/b" || t.Str("path") >= "/c/5"`},
	{"o1 mul", `func inc() int { g++; return 1 }`, `n = g * inc()`},
	{"o2 concat", `func app() string { gs += "x"; return "y" }`, `s = gs + app()`},
	{"o3 streq", `func app() string { gs += "x"; return "x" }`, `b = gs == app()`},
	{"o4 if cond", `func inc() int { g++; return 1 }`, `if g < inc() { n++ }`},
	{"o5 array elem", `func inc() int { g++; return 1 }`, `hist[0] = g + inc()`},
	{"o6 map elem", `func inc() int { g++; return 1 }`, `mi[1] = g + inc()`},
	{"o7 call first", `func inc() int { g++; return 1 }`, `n = inc() + g`},
	{"o8 define", `func inc() int { g++; return 1 }`, `k := g + inc()
		n += k`},
	{"o9 nested", `func inc() int { g++; return 1 }`, `n = (g + 0) + inc()`},
	{"o10 native args", `func inc() int { g++; return 1 }`, `s = strconv.Itoa(g) + strconv.Itoa(inc())`},
	{"o11 elem read", `var ga [2]int
func inc() int { ga[0]++; return 1 }`, `n = ga[0] + inc()`},
	{"o12 compare2", `func inc() int { g++; return 1 }`, `b = g < inc()
		if b { n++ }`},
	{"o13 return", `func inc() int { g++; return 1 }
func r() int { return g + inc() }`, `n = r()`},
	{"redecl in handler", ``, `a, c := t.Int("status"), t.Str("path")
		a, d := a+1, c+"!"
		n += a
		s = d`},
	{"named result direct assign", `func acc(x int) (r int) { r += x; return }`, `n = acc(1)`},
	{"named result to array", `func acc(x int) (r int) { r += x; return }`, `hist[0] = acc(1)`},
	{"idx once map", `func inc() int { g++; return g % 3 }`, `mi[inc()] += 1
		mi[inc()]++`},
	{"idx once arr", `func inc() int { g++; return g % 8 }`, `hist[inc()] += 1
		hist[inc()]++`},
	{"idx once str", `func app() string { gs += "x"; return gs }`, `ms[app()] += "z"`},
	{"and or side effects", `func inc() int { g++; return g % 3 }`, `b = g > 5 && inc() > 0 || inc() == 2`},
	{"sprintf many", ``, `s = fmt.Sprintf("%5.2f|%x|%q|%v|%d|%s", t.Float("ratio"), t.Int("status"), t.Str("path"), t.Has("slow"), t.Dur("duration"), t.Dur("duration"))`},
	{"sprint mix", ``, `s = fmt.Sprint(1, 2, "a", 3.0, t.Dur("duration"), t.Has("x") == false, t.PID, t.Time.UnixNano())`},
	{"div corner", ``, `x := t.Int("status") - 404
		if x != 0 { n = (t.Int("status") * -7) / x; errors = (t.Int("status") * -7) % x }
		f = t.Float("ratio") / float64(x)`},
	{"multi assign partial panic", ``, `n, hist[t.Int("status")/50] = n+1, 5`},
	{"multi assign partial panic map", ``, `n, mn["k"] = n+1, 5`},
	{"len slice", ``, `if len(sl) > 2 { n++ }`},
	{"consts big", `const k = 1 << 62
const fk float64 = 1.0 / 3`, `n = math.MaxInt64
		n++
		errors = k * 2 / 4
		total = math.MaxInt64 * time.Nanosecond
		total += time.Duration(k)
		f = math.SmallestNonzeroFloat64 / 2 + 1e308 * 10 / 100 + fk * 3 - 1/3 + 7.0/2
		s = fmt.Sprint(f, fk*3, 0.1+0.2, float64(k)*4, 1e-7)
		b = fk*3 == 1`},
	{"println", ``, `fmt.Println(n, t.Dur("duration"), t.Str("path"))
		fmt.Printf("%d %v\n", t.Int("status"), t.Has("slow"))
		fmt.Print("x", 1, 2, "\n")`},
	{"time methods", ``, `last = t.Time.Add(t.Dur("duration"))
		n = int(last.Sub(t.Time)) + int(last.Unix()) + int(last.UnixMilli()%1000)
		s = t.TimeField("nope").String()`},
}

func TestCompiledHandlersMatchReview(t *testing.T) {
	traces := compileTraces(t)
	compiled := 0
	for _, tc := range reviewCases {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf(compileHead, tc.decls, tc.body)
			interpreted, _ := runHandler(t, src, false, traces)
			got, n := runHandler(t, src, true, traces)
			compiled += n
			if got != interpreted {
				t.Errorf("compiled:\n%s\ninterpreted:\n%s", got, interpreted)
			}
		})
	}
	t.Logf("%d of %d compiled", compiled, len(reviewCases))
}
