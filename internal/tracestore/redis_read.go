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
	ids, err := s.c.ZRevRange(ctx, s.slowKey(), 0, -1).Result()
	if err != nil {
		return nil, s.fail("slow", err)
	}
	all, err := s.summaries(ctx, ids, q, len(ids), s.slowKey(), s.slowExpKey())
	if err != nil {
		return nil, s.fail("slow", err)
	}
	slices.SortStableFunc(all, func(a, b Summary) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), strings.Compare(a.TraceID, b.TraceID))
	})
	return all[:min(len(all), limit(q))], nil
}

func (s *redisStore) Errors(ctx context.Context, q Query) ([]Summary, error) {
	day := q.Day
	if day == "" {
		day = s.now().UTC().Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, fmt.Errorf("store %s: errors: day %.40q: want YYYY-MM-DD", s.name, day)
	}
	return s.latest(ctx, "errors", s.errorsKey(day), q)
}

func (s *redisStore) Recent(ctx context.Context, q Query) ([]Summary, error) {
	return s.latest(ctx, "recent", s.recentKey(), q)
}

// latest lists from a listing scored by start, latest first, the traces
// q selects, a page at a time.
func (s *redisStore) latest(ctx context.Context, op, key string, q Query) ([]Summary, error) {
	n := limit(q)
	min := "-inf"
	if !q.Since.IsZero() {
		min = strconv.FormatFloat(float64(q.Since.UnixNano())/1e9-1e-6, 'f', 9, 64) // the summary's start decides
	}
	var out []Summary
	// Pages of what a listing without filters needs, then bigger ones.
	page := int64(n + 4)
	for off := int64(0); len(out) < n; off, page = off+page, int64(listPage) {
		ids, err := s.c.ZRevRangeByScore(ctx, key, &redis.ZRangeBy{Min: min, Max: "+inf", Offset: off, Count: page}).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		got, err := s.summaries(ctx, ids, q, n-len(out), key)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, got...)
		if int64(len(ids)) < page {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b Summary) int {
		return cmp.Or(b.Start.Compare(a.Start), strings.Compare(a.TraceID, b.TraceID))
	})
	return out, nil
}

func limit(q Query) int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// summaries fetches the summaries of ids in one round trip and returns, in
// the order of ids, at most n of those q selects. The ids whose summary
// has expired are removed from the listings keys.
func (s *redisStore) summaries(ctx context.Context, ids []string, q Query, n int, keys ...string) ([]Summary, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.traceKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
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
			return nil, err
		}
		if len(out) < n && selects(q, sum, m) {
			out = append(out, sum)
		}
	}
	if len(gone) > 1 {
		if err := pruneScript.Run(ctx, s.c, keys, gone...).Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
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
