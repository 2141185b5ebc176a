package script

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// MaxBy bounds the fields of Agg.By.
const MaxBy = protocol.MaxGroupFields

// A Hist says how an Aggregation's groups cut the values of the Of field
// into buckets, for Group.Quantile and Group.Buckets. The zero value is
// log-linear: 16 buckets per power of two, quantiles within 1/32 (about
// 3%) of the true value, for values of any range. Linear and Pow2 make the
// others, after DTrace's lquantize and quantize. A Hist is a value, safe
// to copy and share.
type Hist struct {
	kind     protocol.HistKind
	lo, step float64
	n        int
	err      string
}

// Linear returns the Hist of DTrace's lquantize: buckets of width step
// from lo up to hi, plus one for the values below lo and one for those at
// hi and over. Quantiles are within step/2 of the true value inside the
// range. At most 1000 buckets: (hi-lo)/step is rounded up to a whole
// number of steps. Invalid bounds fail traces.Aggregate.
func Linear(lo, hi, step float64) Hist {
	n := math.Ceil((hi - lo) / step)
	switch {
	case math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0):
		return Hist{err: "script.Linear: bounds must be finite"}
	case !(step > 0) || math.IsInf(step, 0):
		return Hist{err: fmt.Sprintf("script.Linear: step %g must be positive", step)}
	case !(hi > lo):
		return Hist{err: fmt.Sprintf("script.Linear: hi %g must be above lo %g", hi, lo)}
	case n > protocol.MaxLinearBuckets:
		return Hist{err: fmt.Sprintf("script.Linear: %g buckets, at most %d", n, protocol.MaxLinearBuckets)}
	}
	return Hist{kind: protocol.HistLinear, lo: lo, step: step, n: int(n)}
}

// Pow2 returns the Hist of DTrace's quantize: one bucket per power of two
// ([1,2), [2,4), [4,8)…; the same below zero; zero apart). Quantiles are
// within a factor of 1.5 of the true value.
func Pow2() Hist { return Hist{kind: protocol.HistPow2} }

// String describes h, for messages.
func (h Hist) String() string {
	switch h.kind {
	case protocol.HistLinear:
		return fmt.Sprintf("Linear(%g, %g, %g)", h.lo, h.lo+float64(h.n)*h.step, h.step)
	case protocol.HistPow2:
		return "Pow2()"
	}
	return "log-linear"
}

// aggSpec is an Agg parsed once, when the Aggregation is made.
type aggSpec struct {
	by    []rawKey // Agg.By's fields; nil when not grouping
	names []string // their names, as the script wrote them
	of    rawKey
	where pred
	hist  Hist
}

// parseAgg checks and parses spec.
func parseAgg(spec Agg) (aggSpec, error) {
	var s aggSpec
	if spec.By != "" {
		for _, f := range strings.Split(spec.By, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				return s, fmt.Errorf("by %q: empty field name", spec.By)
			}
			s.names = append(s.names, f)
			s.by = append(s.by, rawKeyOf(f))
		}
		if len(s.by) > MaxBy {
			return s, fmt.Errorf("by %q: %d fields, at most %d", spec.By, len(s.by), MaxBy)
		}
	}
	s.of = rawKeyOf(spec.Of)
	if spec.Where != "" {
		p, err := parsePred(spec.Where)
		if err != nil {
			return s, fmt.Errorf("where %q: %w", spec.Where, err)
		}
		s.where = p
	}
	if spec.Hist.err != "" {
		return s, errors.New(spec.Hist.err)
	}
	s.hist = spec.Hist
	return s, nil
}

// A pred is a parsed Agg.Where: field op value. The zero pred is none.
type pred struct {
	field rawKey
	name  string // the field as the script wrote it
	op    string // "==", "!=", "<", "<=", ">", ">="
	num   bool   // compare as numbers (x), else as strings (s)
	x     float64
	s     string
}

// parsePred parses "field op value".
func parsePred(w string) (pred, error) {
	i := strings.IndexAny(w, "=!<>")
	if i < 0 {
		return pred{}, errors.New("want field, operator (== != < <= > >=) and value, as in status>=500")
	}
	field := strings.TrimSpace(w[:i])
	rest := w[i:]
	var p pred
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			p.op = op
			break
		}
	}
	if p.op == "" {
		return pred{}, fmt.Errorf("bad operator at %q: want == != < <= > >=", rest)
	}
	if field == "" {
		return pred{}, errors.New("missing field name before " + p.op)
	}
	p.field, p.name = rawKeyOf(field), field
	val := strings.TrimSpace(rest[len(p.op):])
	switch {
	case val == "":
		return pred{}, errors.New("missing value after " + p.op)
	case val[0] == '"' || val[0] == '`':
		s, err := strconv.Unquote(val)
		if err != nil {
			return pred{}, fmt.Errorf("bad quoted value %s", val)
		}
		p.s = s
	default:
		if x, err := strconv.ParseFloat(val, 64); err == nil && !math.IsNaN(x) {
			p.num, p.x = true, x
		} else if d, err := time.ParseDuration(val); err == nil {
			p.num, p.x = true, float64(d)
		} else if strings.ContainsAny(val, " \t=!<>") {
			return pred{}, fmt.Errorf("bad value %q: quote a string with spaces or operators", val)
		} else {
			p.s = val
		}
	}
	if !p.num && p.op != "==" && p.op != "!=" {
		return pred{}, fmt.Errorf("%s needs a number or a duration, not %q", p.op, val)
	}
	return p, nil
}

// active reports whether there is a predicate.
func (p *pred) active() bool { return p.op != "" }

// numeric evaluates a numeric predicate on a value that is a number x if
// ok: one that is not (missing, a string) differs from every number.
func (p *pred) numeric(x float64, ok bool) bool {
	if !ok {
		return p.op == "!="
	}
	return p.number(x)
}

// number evaluates the predicate on a number.
func (p *pred) number(x float64) bool {
	switch p.op {
	case "==":
		return x == p.x
	case "!=":
		return x != p.x
	case "<":
		return x < p.x
	case "<=":
		return x <= p.x
	case ">":
		return x > p.x
	}
	return x >= p.x
}

// str and strBytes evaluate a string predicate on a string.
func (p *pred) str(s string) bool { return (s == p.s) == (p.op == "==") }

func (p *pred) strBytes(s []byte) bool { return (string(s) == p.s) == (p.op == "==") }

// plain evaluates the predicate on a plain field value (nil: missing);
// done is false when it cannot (the value's kind needs formatting).
func (p *pred) plain(v any) (ok, done bool) {
	if p.num {
		x, isNum := plainNumber(v)
		if !isNum && !missingNumber(v) {
			return false, false // a named number type, say: the record's way
		}
		return p.numeric(x, isNum), true
	}
	switch x := v.(type) {
	case string:
		if len(x) > maxPlainField {
			return false, false // the record may hold it cut
		}
		return p.str(x), true
	case bool:
		return p.str(strconv.FormatBool(x)), true
	case nil:
		return p.op == "!=", true
	}
	return false, false
}

// encoded evaluates the predicate on an encoded value (nil: missing).
func (p *pred) encoded(t *Trace, v []byte) bool {
	if p.num {
		x, ok := numberOf(v)
		return p.numeric(x, ok)
	}
	if len(v) == 0 {
		return p.op == "!="
	}
	if s, ok := stringOf(v); ok {
		return p.strBytes(s)
	}
	if k := protocol.Kind(v[0]); k == protocol.KindTrue || k == protocol.KindFalse {
		return p.str(strconv.FormatBool(k == protocol.KindTrue))
	}
	return p.str(t.Str(p.name))
}

// Check returns the error traces.Aggregate would panic with for a: too
// many By fields, a Where that does not parse, an invalid Hist. Scripts
// need not call it; a tool that builds an Agg from what a user typed
// does, to say what is wrong before any agent runs it.
func (a Agg) Check() error {
	_, err := parseAgg(a)
	return err
}
