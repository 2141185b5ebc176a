package tracestore

import (
	"context"
	"database/sql"
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
	st, err := s.prepared(ctx, "SELECT "+readCols+" FROM spans WHERE seq = (SELECT seq FROM traces WHERE trace_id = ? AND expires_ns > ?) ORDER BY start_ns, span_id")
	if err != nil {
		return nil, fmt.Errorf("store %s: trace %s: %w", s.path, traceID, err)
	}
	rows, err := st.QueryContext(ctx, traceID, s.nowNS())
	if err != nil {
		return nil, fmt.Errorf("store %s: trace %s: %w", s.path, traceID, err)
	}
	defer rows.Close()
	var spans []Span
	for rows.Next() {
		sp, err := scanSpan(rows, traceID)
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
	return s.list(ctx, "slow", q, nil, nil, "t.duration_ns DESC")
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
	return s.list(ctx, "errors", q, []string{"t.errors > 0", "t.start_ns >= ?", "t.start_ns < ?"},
		[]any{unixNano(day), unixNano(day.Add(24 * time.Hour))}, "t.start_ns DESC")
}

// Recent walks the traces by start, latest first.
func (s *fileStore) Recent(ctx context.Context, q Query) ([]Summary, error) {
	return s.list(ctx, "recent", q, nil, nil, "t.start_ns DESC")
}

// rareKey is how many traces a service or operation has at most for a
// filtered listing to read them through trace_keys (then sort them)
// rather than walk the listing's index and skip the traces without it.
var rareKey = 2000

// list runs a listing: the live traces matching q and the conditions
// where (with args), in order, at most q's limit.
func (s *fileStore) list(ctx context.Context, name string, q Query, where []string, args []any, order string) ([]Summary, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	sums, err := s.query(ctx, q, where, args, order)
	if err != nil {
		return nil, fmt.Errorf("store %s: %s: %w", s.path, name, err)
	}
	return sums, nil
}

// query runs list's query. expires_ns is written +expires_ns so that
// SQLite never walks its index for a listing: nearly every trace is live,
// and the listing's own order is the index to walk.
func (s *fileStore) query(ctx context.Context, q Query, where []string, args []any, order string) ([]Summary, error) {
	where = append(where, "+expires_ns > ?")
	args = append(args, s.nowNS())
	if !q.Since.IsZero() {
		where = append(where, "t.start_ns >= ?")
		args = append(args, unixNano(q.Since))
	}
	var keys []string
	if q.Service != "" {
		keys = append(keys, "s"+q.Service)
	}
	if q.Operation != "" {
		keys = append(keys, "o"+q.Operation)
	}
	// Pick how to read: walk the listing's order and skip what does not
	// match, unless a filter keeps only a few traces (at most rareKey):
	// then read those and sort them.
	from, drive, fewest := "traces t", "", rareKey+1
	count := func(query string, arg any) (bool, error) {
		st, err := s.prepared(ctx, "SELECT count(*) FROM ("+query+" LIMIT ?)")
		if err != nil {
			return false, err
		}
		var n int
		if err := st.QueryRowContext(ctx, arg, rareKey+1).Scan(&n); err != nil {
			return false, err
		}
		better := n < fewest
		fewest = min(n, fewest)
		return better, nil
	}
	if !q.Since.IsZero() && strings.HasPrefix(order, "t.duration_ns") {
		better, err := count("SELECT 1 FROM traces WHERE start_ns >= ?", unixNano(q.Since))
		if err != nil {
			return nil, err
		}
		if better {
			from = "traces t INDEXED BY traces_start"
		}
	}
	for _, k := range keys {
		better, err := count("SELECT 1 FROM trace_keys WHERE key = ?", k)
		if err != nil {
			return nil, err
		}
		if better {
			drive = k
		}
	}
	if fewest == 0 {
		return nil, nil
	}
	if drive != "" {
		from = "trace_keys d CROSS JOIN traces t"
		where = append(where, "d.key = ?", "t.seq = d.seq")
		args = append(args, drive)
	}
	for _, k := range keys {
		if k != drive {
			where = append(where, "EXISTS (SELECT 1 FROM trace_keys k WHERE k.key = ? AND k.seq = t.seq)")
			args = append(args, k)
		}
	}
	args = append(args, limit(q.Limit))
	query := "SELECT t.trace_id, " + summaryCols + " FROM " + from + " WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ?"
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var id string
		var m summaryRow
		if err := m.scan(rows, &id); err != nil {
			return nil, err
		}
		out = append(out, m.summary(id))
	}
	return out, rows.Err()
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

// prepared returns the statement for query, prepared on first use. The
// queries are a finite set (a few shapes of listing and filter), so the
// cache is bounded.
func (s *fileStore) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.stmts == nil {
		return nil, errClosed
	}
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}
