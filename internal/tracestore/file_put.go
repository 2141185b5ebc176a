package tracestore

import (
	"context"
	"fmt"
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
	type changed struct {
		id  string
		sum summaryRow
	}
	var sums []changed
	for _, idx := range groups {
		id := spans[idx[0]].TraceID
		sum, exists, err := w.load(ctx, id)
		if err != nil {
			return err
		}
		if exists && sum.expires <= now {
			if err := w.purge(ctx, id); err != nil {
				return err
			}
			sum, exists = summaryRow{}, false
		}
		if exists {
			if idx, err = w.fresh(ctx, id, spans, idx); err != nil {
				return err
			}
			if len(idx) == 0 {
				if _, err := w.touch.ExecContext(ctx, expires, id); err != nil {
					return err
				}
				continue
			}
		}
		keys := make(map[string]bool)
		for n, i := range idx {
			sp := &spans[i]
			sum.add(sp, n == 0 && !exists)
			newRows = append(newRows, rows[i])
			for _, k := range []string{"s" + sp.Service, "o" + sp.Operation} {
				if !keys[k] {
					keys[k] = true
					keyRows = append(keyRows, []any{k, id})
				}
			}
		}
		sum.expires = expires
		sums = append(sums, changed{id, sum})
	}
	if err := w.insert(ctx, 's', newRows); err != nil {
		return err
	}
	if err := w.insert(ctx, 'k', keyRows); err != nil {
		return err
	}
	for _, c := range sums {
		if _, err := w.setTrace.ExecContext(ctx, c.sum.args(c.id)...); err != nil {
			return err
		}
	}
	return nil
}

// fresh returns the indexes in idx of spans trace id does not have yet.
func (w *writer) fresh(ctx context.Context, id string, spans []Span, idx []int) ([]int, error) {
	ids := make([]string, len(idx))
	for n, i := range idx {
		ids[n] = spans[i].SpanID
	}
	have, err := w.present(ctx, id, ids)
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
