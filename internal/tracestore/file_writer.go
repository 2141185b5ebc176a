package tracestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// chunk is how many rows one multi-row statement carries at most (11
// variables a span row, well under SQLite's 32,766).
const chunk = 64

// A writer is the store's write connection and its prepared statements.
// It is used by one goroutine at a time (fileStore.wmu).
type writer struct {
	conn                              *sql.Conn
	getTrace, newTrace, setTrace      *sql.Stmt
	touch                             *sql.Stmt
	expired, delSome, delAll, delKeys *sql.Stmt
	delTrace                          *sql.Stmt
	// multi holds the multi-row statements by kind and row count, prepared
	// when first needed: at most 3 × chunk of them.
	multi map[multiKey]*sql.Stmt
}

type multiKey struct {
	kind byte // 's' insert spans, 'k' insert keys, 'p' present spans
	rows int
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn, multi: make(map[multiKey]*sql.Stmt)}
	stmts := []struct {
		p   **sql.Stmt
		sql string
	}{
		{&w.getTrace, "SELECT seq, " + summaryCols + " FROM traces WHERE trace_id = ?"},
		{&w.newTrace, "INSERT INTO traces (" + summaryCols + ", trace_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
		{&w.setTrace, "UPDATE traces SET (" + summaryCols + ") = (?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE seq = ?"},
		{&w.touch, "UPDATE traces SET expires_ns = ? WHERE seq = ?"},
		{&w.expired, "SELECT seq FROM traces WHERE expires_ns <= ? ORDER BY expires_ns LIMIT 16"},
		{&w.delSome, "DELETE FROM spans WHERE seq = ?1 AND span_id IN (SELECT span_id FROM spans WHERE seq = ?1 LIMIT ?2)"},
		{&w.delAll, "DELETE FROM spans WHERE seq = ?"},
		{&w.delKeys, "DELETE FROM trace_keys WHERE seq = ?1 AND key IN (SELECT 's' || service FROM spans WHERE seq = ?1 UNION SELECT 'o' || operation FROM spans WHERE seq = ?1)"},
		{&w.delTrace, "DELETE FROM traces WHERE seq = ?"},
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
	for _, st := range []*sql.Stmt{w.getTrace, w.newTrace, w.setTrace, w.touch, w.expired, w.delSome, w.delAll, w.delKeys, w.delTrace} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range w.multi {
		st.Close()
	}
	return w.conn.Close()
}

// stmt returns the multi-row statement of kind for n rows (n <= chunk).
func (w *writer) stmt(ctx context.Context, kind byte, n int) (*sql.Stmt, error) {
	k := multiKey{kind, n}
	if st, ok := w.multi[k]; ok {
		return st, nil
	}
	var q string
	switch kind {
	case 's':
		q = "INSERT OR IGNORE INTO spans (" + spanCols + ") VALUES " + repeat("(?,?,?,?,?,?,?,?,?,?,?)", n)
	case 'k':
		q = "INSERT OR IGNORE INTO trace_keys (key, seq) VALUES " + repeat("(?,?)", n)
	case 'p':
		q = "SELECT span_id FROM spans WHERE seq = ? AND span_id IN (" + repeat("?", n) + ")"
	}
	st, err := w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	w.multi[k] = st
	return st, nil
}

// repeat is n copies of s joined by commas.
func repeat(s string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+",", n), ",")
}

// insert runs the multi-row insert of kind over rows (each a row's
// values), chunk rows a statement.
func (w *writer) insert(ctx context.Context, kind byte, rows [][]any) error {
	var args []any
	for len(rows) > 0 {
		n := min(len(rows), chunk)
		st, err := w.stmt(ctx, kind, n)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// present returns which of the span IDs trace seq already has.
func (w *writer) present(ctx context.Context, seq int64, spanIDs []string) (map[string]bool, error) {
	have := make(map[string]bool)
	for len(spanIDs) > 0 {
		n := min(len(spanIDs), chunk)
		st, err := w.stmt(ctx, 'p', n)
		if err != nil {
			return nil, err
		}
		args := []any{seq}
		for _, s := range spanIDs[:n] {
			args = append(args, s)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, err
			}
			have[s] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		spanIDs = spanIDs[n:]
	}
	return have, nil
}

// load reads a trace's summary row.
func (w *writer) load(ctx context.Context, id string) (summaryRow, bool, error) {
	var m summaryRow
	err := m.scan(w.getTrace.QueryRowContext(ctx, id), &m.seq)
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	return m, err == nil, err
}

// purge deletes trace seq: its keys (found from its spans), spans and
// summary.
func (w *writer) purge(ctx context.Context, seq int64) error {
	for _, st := range []*sql.Stmt{w.delKeys, w.delAll, w.delTrace} {
		if _, err := st.ExecContext(ctx, seq); err != nil {
			return err
		}
	}
	return nil
}

// sweep deletes up to budget spans of traces expired at now, and
// the summaries of traces it emptied (each counts as a span at least, so
// that many small traces are swept as fast as they come). Reads already
// hide expired traces; the sweep only reclaims their space, a little on
// every Put.
func (w *writer) sweep(ctx context.Context, now int64, budget int) error {
	for budget > 0 {
		rows, err := w.expired.QueryContext(ctx, now)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
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
		if len(ids) == 0 {
			return nil
		}
		for _, id := range ids {
			// Keys first, while the spans that name them are there.
			if _, err := w.delKeys.ExecContext(ctx, id); err != nil {
				return err
			}
			res, err := w.delSome.ExecContext(ctx, id, budget)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == int64(budget) {
				return nil // spans may be left: the next Put goes on
			}
			budget -= max(int(n), 1)
			if _, err := w.delTrace.ExecContext(ctx, id); err != nil {
				return err
			}
			if budget <= 0 {
				return nil
			}
		}
	}
	return nil
}
