package tracestore

import (
	"context"
	"database/sql"
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
	now := unixNano(s.now())
	cutoff := now - int64(s.retention)
	err := inTx(ctx, s.w.conn, func() error {
		for _, g := range groups {
			if err := s.w.putTrace(ctx, spans, rows, g, now, cutoff); err != nil {
				return err
			}
		}
		return s.w.sweep(ctx, cutoff, sweepBudget)
	})
	if err != nil {
		return fmt.Errorf("store %s: put: %w", s.path, err)
	}
	return nil
}

// byTrace returns the indexes of spans grouped by trace, traces in order
// of first appearance.
func byTrace(spans []Span) [][]int {
	at := make(map[string]int)
	var groups [][]int
	for i := range spans {
		g, ok := at[spans[i].TraceID]
		if !ok {
			g = len(groups)
			at[spans[i].TraceID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// A writer is the store's write connection and its prepared statements.
// It is used by one goroutine at a time (fileStore.wmu).
type writer struct {
	conn                              *sql.Conn
	getTrace, setTrace, touch         *sql.Stmt
	insSpan, insKey                   *sql.Stmt
	expired, delSome, delAll, delKeys *sql.Stmt
	delTrace                          *sql.Stmt
	keys                              map[string]struct{}
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn, keys: make(map[string]struct{})}
	stmts := []struct {
		p   **sql.Stmt
		sql string
	}{
		{&w.getTrace, "SELECT " + summaryCols + " FROM traces WHERE trace_id = ?"},
		{&w.setTrace, "INSERT OR REPLACE INTO traces (trace_id, " + summaryCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
		{&w.touch, "UPDATE traces SET last_put = ? WHERE trace_id = ?"},
		{&w.insSpan, "INSERT OR IGNORE INTO spans (" + spanCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)"},
		{&w.insKey, "INSERT OR IGNORE INTO trace_keys (trace_id, key) VALUES (?, ?)"},
		{&w.expired, "SELECT trace_id FROM traces WHERE last_put < ? ORDER BY last_put LIMIT 16"},
		{&w.delSome, "DELETE FROM spans WHERE trace_id = ?1 AND span_id IN (SELECT span_id FROM spans WHERE trace_id = ?1 LIMIT ?2)"},
		{&w.delAll, "DELETE FROM spans WHERE trace_id = ?"},
		{&w.delKeys, "DELETE FROM trace_keys WHERE trace_id = ?"},
		{&w.delTrace, "DELETE FROM traces WHERE trace_id = ?"},
	}
	for _, st := range stmts {
		p, err := conn.PrepareContext(ctx, st.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("preparing %q: %w", st.sql, err)
		}
		*st.p = p
	}
	return w, nil
}

// close closes the statements and the connection.
func (w *writer) close() error {
	for _, st := range []*sql.Stmt{w.getTrace, w.setTrace, w.touch, w.insSpan, w.insKey, w.expired, w.delSome, w.delAll, w.delKeys, w.delTrace} {
		if st != nil {
			st.Close()
		}
	}
	return w.conn.Close()
}

// putTrace stores the spans of one trace (indexes idx) and updates its
// summary; a trace that expired is emptied first, as if swept.
func (w *writer) putTrace(ctx context.Context, spans []Span, rows [][]any, idx []int, now, cutoff int64) error {
	id := spans[idx[0]].TraceID
	sum, exists, err := w.load(ctx, id)
	if err != nil {
		return err
	}
	if exists && sum.lastPut < cutoff {
		if _, err := w.delAll.ExecContext(ctx, id); err != nil {
			return err
		}
		if err := w.drop(ctx, id); err != nil {
			return err
		}
		sum, exists = summaryRow{}, false
	}
	clear(w.keys)
	added := 0
	for _, i := range idx {
		res, err := w.insSpan.ExecContext(ctx, rows[i]...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue
		}
		sp := &spans[i]
		sum.add(sp, added == 0 && !exists)
		added++
		w.keys["s"+sp.Service] = struct{}{}
		w.keys["o"+sp.Operation] = struct{}{}
	}
	if added == 0 {
		if exists {
			_, err = w.touch.ExecContext(ctx, now, id)
		}
		return err
	}
	for k := range w.keys {
		if _, err := w.insKey.ExecContext(ctx, id, k); err != nil {
			return err
		}
	}
	sum.lastPut = now
	_, err = w.setTrace.ExecContext(ctx, sum.args(id)...)
	return err
}

// load reads a trace's summary row.
func (w *writer) load(ctx context.Context, id string) (summaryRow, bool, error) {
	var m summaryRow
	err := m.scan(w.getTrace.QueryRowContext(ctx, id))
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	return m, err == nil, err
}

// drop deletes a trace's keys and summary (after its spans).
func (w *writer) drop(ctx context.Context, id string) error {
	if _, err := w.delKeys.ExecContext(ctx, id); err != nil {
		return err
	}
	_, err := w.delTrace.ExecContext(ctx, id)
	return err
}

// sweep deletes up to budget spans of traces last put before cutoff, and
// the summaries of traces it emptied. Reads already hide expired traces;
// the sweep only reclaims their space, a little on every Put.
func (w *writer) sweep(ctx context.Context, cutoff int64, budget int) error {
	rows, err := w.expired.QueryContext(ctx, cutoff)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		res, err := w.delSome.ExecContext(ctx, id, budget)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if budget -= int(n); budget <= 0 {
			return nil // spans may be left: the next Put goes on
		}
		if err := w.drop(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
