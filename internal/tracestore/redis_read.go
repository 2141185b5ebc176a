package tracestore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// listPage is how many members of a listing a reader fetches at once.
const listPage = 256

func (s *redisStore) Trace(ctx context.Context, traceID string) ([]Span, error) {
	if !ValidTraceID(traceID) {
		return nil, fmt.Errorf("store %s: trace %.40q: %w", s.name, traceID, ErrNotFound)
	}
	m, err := s.c.HGetAll(ctx, s.spansKey(traceID)).Result()
	if err != nil {
		return nil, s.fail("trace "+traceID, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("store %s: trace %s: %w", s.name, traceID, ErrNotFound)
	}
	spans := make([]Span, 0, len(m))
	for id, js := range m {
		var sp Span
		if err := json.Unmarshal([]byte(js), &sp); err != nil {
			return nil, fmt.Errorf("store %s: trace %s: span %.40q: %w", s.name, traceID, id, err)
		}
		spans = append(spans, sp)
	}
	slices.SortFunc(spans, func(a, b Span) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.SpanID, b.SpanID))
	})
	return spans, nil
}

func (s *redisStore) Slow(ctx context.Context, q Query) ([]Summary, error) {
	return s.list(ctx, "slow", q, "-inf", slowest, s.slowKey(), s.slowExpKey())
}

func (s *redisStore) Errors(ctx context.Context, q Query) ([]Summary, error) {
	day := q.Day
	if day == "" {
		day = s.now().UTC().Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, fmt.Errorf("store %s: errors: day %.40q: want YYYY-MM-DD", s.name, day)
	}
	return s.list(ctx, "errors", q, since(q), latest, s.errorsKey(day))
}

func (s *redisStore) Recent(ctx context.Context, q Query) ([]Summary, error) {
	return s.list(ctx, "recent", q, since(q), latest, s.recentKey())
}

// slowest and latest order listings.
func slowest(a, b Summary) int {
	return cmp.Or(cmp.Compare(b.Duration, a.Duration), strings.Compare(a.TraceID, b.TraceID))
}

func latest(a, b Summary) int {
	return cmp.Or(b.Start.Compare(a.Start), strings.Compare(a.TraceID, b.TraceID))
}

// since is the lowest score of a listing by start that q can select: the
// summary's exact start decides.
func since(q Query) string {
	if q.Since.IsZero() {
		return "-inf"
	}
	return strconv.FormatFloat(float64(q.Since.UnixNano())/1e9-1e-6, 'f', 9, 64)
}

// list lists the traces q selects from the listing keys[0], highest score
// (at least min) first, a page at a time, sorted by order. The other keys
// are listings pruned with it.
func (s *redisStore) list(ctx context.Context, op string, q Query, min string, order func(a, b Summary) int, keys ...string) ([]Summary, error) {
	n := limit(q.Limit)
	var out []Summary
	// Pages of what a listing without filters needs, then bigger ones.
	page := int64(n + 4)
	for off := int64(0); len(out) < n; page = int64(listPage) {
		ids, err := s.c.ZRevRangeByScore(ctx, keys[0], &redis.ZRangeBy{Min: min, Max: "+inf", Offset: off, Count: page}).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		got, pruned, err := s.summaries(ctx, ids, q, n-len(out), keys...)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, got...)
		if int64(len(ids)) < page {
			break
		}
		off += page - int64(pruned) // the pruned ones no longer count
	}
	slices.SortStableFunc(out, order)
	return out, nil
}

// summaries fetches the summaries of ids in one round trip and returns, in
// the order of ids, at most n of those q selects. The ids whose summary
// has expired are removed from the listings keys; it returns how many.
func (s *redisStore) summaries(ctx context.Context, ids []string, q Query, n int, keys ...string) ([]Summary, int, error) {
	if len(ids) == 0 {
		return nil, 0, nil
	}
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.traceKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, err
	}
	var out []Summary
	gone := []any{s.prefix + "trace:"}
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			gone = append(gone, ids[i])
			continue
		}
		sum, err := parseSummary(ids[i], m)
		if err != nil {
			return nil, 0, err
		}
		if len(out) < n && selects(q, sum, m) {
			out = append(out, sum)
		}
	}
	pruned := 0
	if len(gone) > 1 {
		n, err := pruneScript.Run(ctx, s.c, keys, gone...).Int()
		if err != nil {
			return nil, 0, err
		}
		pruned = n
	}
	return out, pruned, nil
}

// selects reports whether q keeps the trace of summary sum (hash m).
func selects(q Query, sum Summary, m map[string]string) bool {
	if q.Service != "" && m["s:"+q.Service] == "" {
		return false
	}
	if q.Operation != "" && m["o:"+q.Operation] == "" {
		return false
	}
	return q.Since.IsZero() || !sum.Start.Before(q.Since)
}

// parseSummary reads a summary hash (layout in redis_script.go).
func parseSummary(id string, m map[string]string) (Summary, error) {
	var bad error
	num := func(k string) int64 {
		v, err := strconv.ParseInt(m[k], 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("trace %s: summary field %s: %q is not a number", id, k, m[k])
		}
		return v
	}
	sum := Summary{
		TraceID: id,
		Start:   time.Unix(num("ss"), num("sn")).UTC(),
		Spans:   int(num("n")),
		Errors:  int(num("e")),
		Error:   m["em"],
		Root:    m["rid"] != "",
	}
	if sum.Root {
		sum.Service, sum.Operation = m["rsvc"], m["rop"]
		sum.Duration = time.Duration(num("rd"))
	} else {
		sum.Service, sum.Operation = m["fsvc"], m["fop"]
		sum.Duration = time.Unix(num("xs"), num("xn")).Sub(sum.Start)
	}
	for k := range m {
		if svc, ok := strings.CutPrefix(k, "s:"); ok {
			sum.Services = append(sum.Services, svc)
		}
	}
	slices.Sort(sum.Services)
	if bad != nil {
		return Summary{}, errors.Join(errors.New("corrupt summary"), bad)
	}
	return sum, nil
}
