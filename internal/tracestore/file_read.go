package tracestore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Trace returns a trace's spans in one statement, so that a sweep cannot
// come between the check that the trace is live and the read of its spans.
func (s *fileStore) Trace(ctx context.Context, traceID string) ([]Span, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if !ValidTraceID(traceID) {
		return nil, fmt.Errorf("store: trace id %.40q: want 32 lowercase hex digits: %w", traceID, ErrNotFound)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+spanCols+" FROM spans WHERE trace_id = ?1 AND EXISTS (SELECT 1 FROM traces WHERE trace_id = ?1 AND last_put >= ?2) ORDER BY start_ns, span_id",
		traceID, s.cutoff())
	if err != nil {
		return nil, fmt.Errorf("store %s: trace %s: %w", s.path, traceID, err)
	}
	defer rows.Close()
	var spans []Span
	for rows.Next() {
		sp, err := scanSpan(rows)
		if err != nil {
			return nil, fmt.Errorf("store %s: trace %s: %w", s.path, traceID, err)
		}
		spans = append(spans, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: trace %s: %w", s.path, traceID, err)
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("store: trace %s: %w", traceID, ErrNotFound)
	}
	return spans, nil
}

// Slow walks the traces by duration, slowest first.
func (s *fileStore) Slow(ctx context.Context, q Query) ([]Summary, error) {
	return s.list(ctx, "slow", q, nil, nil, "duration_ns DESC")
}

// Errors walks the failed traces of the day by start, latest first.
func (s *fileStore) Errors(ctx context.Context, q Query) ([]Summary, error) {
	day := s.now().UTC().Truncate(24 * time.Hour)
	if q.Day != "" {
		d, err := time.Parse(time.DateOnly, q.Day)
		if err != nil {
			return nil, fmt.Errorf("store: errors: day %q: want YYYY-MM-DD", q.Day)
		}
		day = d
	}
	return s.list(ctx, "errors", q, []string{"errors > 0", "start_ns >= ?", "start_ns < ?"},
		[]any{unixNano(day), unixNano(day.Add(24 * time.Hour))}, "start_ns DESC")
}

// Recent walks the traces by start, latest first.
func (s *fileStore) Recent(ctx context.Context, q Query) ([]Summary, error) {
	return s.list(ctx, "recent", q, nil, nil, "start_ns DESC")
}

// list runs a listing: the live traces matching q and the conditions
// where (with args), in order, at most q's limit. last_put is written
// +last_put so that SQLite never walks its index for a listing: nearly
// every trace is live, and the listing's own order is the index to walk.
func (s *fileStore) list(ctx context.Context, name string, q Query, where []string, args []any, order string) ([]Summary, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	where = append(where, "+last_put >= ?")
	args = append(args, s.cutoff())
	if !q.Since.IsZero() {
		where = append(where, "start_ns >= ?")
		args = append(args, unixNano(q.Since))
	}
	for _, k := range []string{"s" + q.Service, "o" + q.Operation} {
		if len(k) > 1 {
			where = append(where, "EXISTS (SELECT 1 FROM trace_keys k WHERE k.trace_id = t.trace_id AND k.key = ?)")
			args = append(args, k)
		}
	}
	args = append(args, limit(q.Limit))
	query := "SELECT trace_id, " + summaryCols + " FROM traces t WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ?"
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: %s: %w", s.path, name, err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var id string
		var m summaryRow
		if err := m.scan(rows, &id); err != nil {
			return nil, fmt.Errorf("store %s: %s: %w", s.path, name, err)
		}
		out = append(out, m.summary(id))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: %s: %w", s.path, name, err)
	}
	return out, nil
}

// limit is a Query's Limit as a listing applies it.
func limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}
