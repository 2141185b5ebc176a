package tracestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
)

// sweepBudget is how many expired spans one Put deletes at most, so that
// the retention sweep never holds the write lock for long.
const sweepBudget = 1024

// Put stores spans in one transaction, with their traces' summaries.
func (s *fileStore) Put(ctx context.Context, spans []Span) error {
	for i := range spans {
		if err := spans[i].Validate(); err != nil {
			return fmt.Errorf("store: put: %w", err)
		}
	}
	if s.closed.Load() {
		return errClosed
	}
	if len(spans) == 0 {
		return nil
	}
	rows := make([][]any, len(spans))
	for i := range spans {
		r, err := spanRow(&spans[i])
		if err != nil {
			return fmt.Errorf("store: put: %w", err)
		}
		rows[i] = r
	}
	groups := byTrace(spans)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed.Load() {
		return errClosed
	}
	now := s.nowNS()
	expires := unixNano(s.now().Add(s.retention))
	err := inTx(ctx, s.w.conn, func() error {
		if err := s.w.put(ctx, spans, rows, groups, now, expires); err != nil {
			return err
		}
		return s.w.sweep(ctx, now, sweepBudget)
	})
	if err != nil {
		return fmt.Errorf("store %s: put: %w", s.path, err)
	}
	return nil
}

// byTrace returns the indexes of spans grouped by trace, traces in order
// of first appearance, each span ID of a trace once (its first).
func byTrace(spans []Span) [][]int {
	type key struct{ trace, span string }
	at := make(map[string]int)
	seen := make(map[key]bool, len(spans))
	var groups [][]int
	for i := range spans {
		k := key{spans[i].TraceID, spans[i].SpanID}
		if seen[k] {
			continue
		}
		seen[k] = true
		g, ok := at[k.trace]
		if !ok {
			g = len(groups)
			at[k.trace] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// put stores the spans new to their traces (groups of indexes, see
// byTrace) with multi-row inserts, and writes their traces' summaries. A
// trace that expired is emptied first, as if swept. A trace without a
// summary has no spans (both change in one transaction), so only the
// spans of traces already stored are looked up.
func (w *writer) put(ctx context.Context, spans []Span, rows [][]any, groups [][]int, now, expires int64) error {
	var newRows, keyRows [][]any
	for _, idx := range groups {
		id := spans[idx[0]].TraceID
		sum, exists, err := w.load(ctx, id)
		if err != nil {
			return err
		}
		if exists && sum.expires <= now {
			if err := w.purge(ctx, sum.seq); err != nil {
				return err
			}
			sum, exists = summaryRow{}, false
		}
		if exists {
			if idx, err = w.fresh(ctx, sum.seq, spans, idx); err != nil {
				return err
			}
			if len(idx) == 0 {
				if _, err := w.touch.ExecContext(ctx, expires, sum.seq); err != nil {
					return err
				}
				continue
			}
		}
		if exists && sum.root {
			if err := w.rootOf(ctx, &sum, spans, idx); err != nil {
				return err
			}
		}
		for n, i := range idx {
			sum.add(&spans[i], n == 0 && !exists)
		}
		sum.expires = expires
		if exists {
			_, err = w.setTrace.ExecContext(ctx, append(sum.args(), sum.seq)...)
		} else {
			sum.seq, err = w.insertTrace(ctx, sum.args(), id)
		}
		if err != nil {
			return err
		}
		keys := make(map[string]bool)
		for _, i := range idx {
			rows[i][0] = sum.seq
			newRows = append(newRows, rows[i])
			for _, k := range []string{"s" + spans[i].Service, "o" + spans[i].Operation} {
				if !keys[k] {
					keys[k] = true
					keyRows = append(keyRows, []any{k, sum.seq})
				}
			}
		}
	}
	if err := w.insert(ctx, 's', newRows); err != nil {
		return err
	}
	return w.insert(ctx, 'k', keyRows)
}

// insertTrace inserts a new trace's summary row (summaryCols values, then
// its ID) and returns its seq.
func (w *writer) insertTrace(ctx context.Context, sum []any, id string) (int64, error) {
	res, err := w.newTrace.ExecContext(ctx, append(sum, id)...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// fresh returns the indexes in idx of spans trace seq does not have yet.
func (w *writer) fresh(ctx context.Context, seq int64, spans []Span, idx []int) ([]int, error) {
	ids := make([]string, len(idx))
	for n, i := range idx {
		ids[n] = spans[i].SpanID
	}
	have, err := w.present(ctx, seq, ids)
	if err != nil || len(have) == 0 {
		return idx, err
	}
	var out []int
	for _, i := range idx {
		if !have[spans[i].SpanID] {
			out = append(out, i)
		}
	}
	return out, nil
}

// rootOf sets the stored root's start and ID in sum when spans[idx] hold
// another root, so that add keeps the earliest.
func (w *writer) rootOf(ctx context.Context, sum *summaryRow, spans []Span, idx []int) error {
	if !slices.ContainsFunc(idx, func(i int) bool { return spans[i].ParentID == "" }) {
		return nil
	}
	err := w.conn.QueryRowContext(ctx, "SELECT start_ns, span_id FROM spans WHERE seq = ? AND parent_id = '' ORDER BY start_ns, span_id LIMIT 1", sum.seq).
		Scan(&sum.rootStart, &sum.rootSpan)
	if errors.Is(err, sql.ErrNoRows) {
		sum.rootStart = math.MaxInt64 // a root that is gone: any other is earlier
		return nil
	}
	return err
}
