package jstracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
	_ "modernc.org/sqlite"
)

// openSQLite opens a fresh SQLite database in a file (so that every
// connection of the pool sees it), traced or bare.
func openSQLite(t testing.TB, traced bool) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "t.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	open := sql.Open
	if traced {
		open = Open
	}
	db, err := open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, ctx context.Context, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestSQLiteInterfaces(t *testing.T) {
	for _, traced := range []bool{false, true} {
		db := openSQLite(t, traced)
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		err = c.Raw(func(dc any) error {
			base := dc
			if traced {
				u, ok := dc.(interface{ Unwrap() driver.Conn })
				if !ok {
					return fmt.Errorf("traced conn %T has no Unwrap", dc)
				}
				base = u.Unwrap()
			}
			if connMask(dc) != connMask(base) {
				return fmt.Errorf("traced conn has mask %#x, the driver's %#x", connMask(dc), connMask(base))
			}
			return nil
		})
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// one returns the only event named name with statement stmt.
func one(t *testing.T, r *recorder, name, stmt string) event {
	t.Helper()
	evs := r.find(name, stmt)
	if len(evs) != 1 {
		t.Fatalf("%s %q: %d events, want 1; all: %v", name, stmt, len(evs), r.all(""))
	}
	return evs[0]
}

func TestSQLite(t *testing.T) {
	ctx := jstrace.WithRequestID(context.Background(), "req-42")
	tests := []struct {
		name string
		run  func(t *testing.T, db *sql.DB, r *recorder)
	}{
		{"create insert select update", func(t *testing.T, db *sql.DB, r *recorder) {
			mustExec(t, db, ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
			mustExec(t, db, ctx, "INSERT INTO t (name) VALUES (?), (?)", "a", "b")
			mustExec(t, db, ctx, "UPDATE t SET name = 'c'")
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE name = ?", "c").Scan(&n); err != nil || n != 2 {
				t.Fatalf("count: %d, %v", n, err)
			}
			if e := one(t, r, "db:exec:end", "INSERT INTO t (name) VALUES (?), (?)"); e.kv["rows_affected"] != int64(2) {
				t.Errorf("insert end: %v, want rows_affected=2", e.kv)
			}
			if e := one(t, r, "db:exec:end", "UPDATE t SET name = 'c'"); e.kv["rows_affected"] != int64(2) {
				t.Errorf("update end: %v, want rows_affected=2", e.kv)
			}
			q := "SELECT count(*) FROM t WHERE name = ?"
			one(t, r, "db:query:start", q)
			if e := one(t, r, "db:query:end", q); e.kv["duration"] == nil {
				t.Errorf("query end without duration: %v", e.kv)
			}
			if e := one(t, r, "db:query:asyncEnd", q); e.kv["rows"] != int64(1) || e.kv["duration"] == nil {
				t.Errorf("query asyncEnd: %v, want rows=1 and a duration", e.kv)
			}
			for _, e := range r.all("") {
				if e.kv["request_id"] != "req-42" {
					t.Errorf("%s without the context's request_id: %v", e.name, e.kv)
				}
				if _, ok := e.kv["args"]; ok {
					t.Errorf("%s records argument values by default: %v", e.name, e.kv)
				}
			}
		}},
		{"transactions", func(t *testing.T, db *sql.DB, r *recorder) {
			mustExec(t, db, ctx, "CREATE TABLE t (v INTEGER)")
			for _, commit := range []bool{true, false} {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				mustExec(t, tx, ctx, "INSERT INTO t VALUES (?)", commit)
				if commit {
					err = tx.Commit()
				} else {
					err = tx.Rollback()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
				t.Fatalf("rows after commit and rollback: %d, %v", n, err)
			}
			for _, ch := range []string{"db:begin", "db:commit", "db:rollback"} {
				want := map[string]int{"db:begin": 2}[ch]
				if want == 0 {
					want = 1
				}
				for _, p := range []string{":start", ":end"} {
					evs := r.all(ch + p)
					if len(evs) != want {
						t.Errorf("%s: %d events, want %d", ch+p, len(evs), want)
					}
					for _, e := range evs {
						if e.kv["request_id"] != "req-42" {
							t.Errorf("%s without request_id: %v", ch+p, e.kv)
						}
					}
				}
			}
			if got := r.all("db:exec:end"); len(got) != 3 {
				t.Errorf("db:exec:end: %d events, want 3 (create, two inserts)", len(got))
			}
		}},
		{"prepared statement reused", func(t *testing.T, db *sql.DB, r *recorder) {
			mustExec(t, db, ctx, "CREATE TABLE t (v INTEGER)")
			ins, err := db.PrepareContext(ctx, "INSERT INTO t VALUES (?)")
			if err != nil {
				t.Fatal(err)
			}
			defer ins.Close()
			for i := range 3 {
				if _, err := ins.ExecContext(ctx, i); err != nil {
					t.Fatal(err)
				}
			}
			one(t, r, "db:prepare:end", "INSERT INTO t VALUES (?)")
			if got := r.find("db:exec:end", "INSERT INTO t VALUES (?)"); len(got) != 3 || got[2].kv["rows_affected"] != int64(1) {
				t.Errorf("prepared execs: %v, want 3 ends with rows_affected=1", got)
			}
		}},
		{"syntax error", func(t *testing.T, db *sql.DB, r *recorder) {
			_, err := db.QueryContext(ctx, "SELEC 1")
			if err == nil {
				t.Fatal("no error")
			}
			e := one(t, r, "db:query:error", "SELEC 1")
			if e.kv["error"] != err.Error() || e.kv["handled"] != false {
				t.Errorf("error event %v, want error %q handled=false", e.kv, err)
			}
			one(t, r, "db:query:end", "SELEC 1")
			if n := len(r.all("db:query:asyncEnd")); n != 0 {
				t.Errorf("%d asyncEnd for a query that returned no rows", n)
			}
		}},
		{"rows read partially", func(t *testing.T, db *sql.DB, r *recorder) {
			q := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) SELECT x FROM c"
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				rows.Next()
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if e := one(t, r, "db:query:asyncEnd", q); e.kv["rows"] != int64(3) {
				t.Errorf("asyncEnd %v, want rows=3", e.kv)
			}
			if n := len(r.all("db:query:error")); n != 0 {
				t.Errorf("closing rows early reported %d errors", n)
			}
		}},
		{"context cancelled mid-query", func(t *testing.T, db *sql.DB, r *recorder) {
			q := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c"
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			rows, err := db.QueryContext(cctx, q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if n++; n == 100 {
					cancel()
				}
			}
			if !errors.Is(rows.Err(), context.Canceled) {
				t.Fatalf("rows.Err() = %v, want context.Canceled", rows.Err())
			}
			rows.Close()
			e := one(t, r, "db:query:error", q)
			if e.kv["error"] != context.Canceled.Error() || e.kv["handled"] != false {
				t.Errorf("error event %v, want the cancellation, unhandled", e.kv)
			}
			if e := one(t, r, "db:query:asyncEnd", q); e.kv["rows"].(int64) < 100 {
				t.Errorf("asyncEnd %v, want rows >= 100", e.kv)
			}
		}},
		{"concurrent use", func(t *testing.T, db *sql.DB, r *recorder) {
			mustExec(t, db, ctx, "CREATE TABLE t (v INTEGER)")
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Go(func() {
					for i := range 20 {
						tx, err := db.BeginTx(ctx, nil)
						if err != nil {
							errs <- err
							return
						}
						if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", g*100+i); err != nil {
							tx.Rollback()
							errs <- err
							return
						}
						if err := tx.Commit(); err != nil {
							errs <- err
							return
						}
						var n int
						if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n := len(r.find("db:exec:end", "INSERT INTO t VALUES (?)")); n != 160 {
				t.Errorf("%d insert ends, want 160", n)
			}
			if n := len(r.all("db:commit:end")); n != 160 {
				t.Errorf("%d commit ends, want 160", n)
			}
			if n := len(r.find("db:query:asyncEnd", "SELECT count(*) FROM t")); n != 160 {
				t.Errorf("%d query asyncEnds, want 160", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openSQLite(t, true)
			r := listen(t)
			tt.run(t, db, r)
		})
	}
}

func TestSQLiteOptions(t *testing.T) {
	ctx := context.Background()
	long := "SELECT 1 /* é" + strings.Repeat("x", 40) + " */"
	tests := []struct {
		name      string
		opts      Options
		statement any // the field's value; nil: absent
		args      any
	}{
		{"defaults", Options{}, long, nil},
		{"cut", Options{MaxStatement: 13}, "SELECT 1 /* " + CutMarker, nil}, // é is bytes 12-13: cut before it
		{"no statement", Options{MaxStatement: -1}, nil, nil},
		{"args", Options{Args: true}, long, "[7 secret]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := tt.opts.Open("sqlite", ":memory:")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := listen(t)
			rows, err := db.QueryContext(ctx, long, 7, "secret")
			if err == nil {
				rows.Close()
			}
			evs := r.all("db:query:start")
			if len(evs) != 1 {
				t.Fatalf("%d starts", len(evs))
			}
			if got := evs[0].kv["statement"]; got != tt.statement {
				t.Errorf("statement %q, want %q", got, tt.statement)
			}
			if got := evs[0].kv["args"]; got != tt.args {
				t.Errorf("args %v, want %v", got, tt.args)
			}
		})
	}
}

// TestSQLiteBehaviourUnchanged: the same statements give the same results
// and errors through the traced driver (listening or not) as bare.
func TestSQLiteBehaviourUnchanged(t *testing.T) {
	script := func(db *sql.DB) string {
		ctx := context.Background()
		var out strings.Builder
		say := func(f string, a ...any) { fmt.Fprintf(&out, f+"\n", a...) }
		for _, q := range []string{
			"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)",
			"INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', NULL)",
			"INSERT INTO t (name) VALUES (NULL)", // constraint
			"UPDATE t SET score = 2 WHERE name = 'b'",
			"DELETE FROM nowhere",
		} {
			r, err := db.ExecContext(ctx, q)
			if err != nil {
				say("%s: %v", q, err)
				continue
			}
			n, _ := r.RowsAffected()
			id, _ := r.LastInsertId()
			say("%s: %d %d", q, n, id)
		}
		rows, err := db.QueryContext(ctx, "SELECT id, name, score FROM t ORDER BY id; SELECT 42")
		if err != nil {
			say("query: %v", err)
			return out.String()
		}
		types, _ := rows.ColumnTypes()
		for _, ct := range types {
			n, ok := ct.Nullable()
			say("column %s %s %v %v %v", ct.Name(), ct.DatabaseTypeName(), ct.ScanType(), n, ok)
		}
		for {
			for rows.Next() {
				vals := make([]any, len(types))
				ptrs := make([]any, len(vals))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				say("row %v %v", rows.Scan(ptrs...), vals)
			}
			if !rows.NextResultSet() {
				break
			}
			say("next result set")
		}
		say("rows: %v %v", rows.Err(), rows.Close())
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		say("read-only begin: %v", err)
		if err == nil {
			_, err = tx.ExecContext(ctx, "INSERT INTO t (name) VALUES ('c')")
			say("insert in it: %v; rollback %v", err, tx.Rollback())
		}
		return out.String()
	}
	bare := script(openSQLite(t, false))
	if quiet := script(openSQLite(t, true)); quiet != bare {
		t.Errorf("traced, nobody listening:\n%s\nbare:\n%s", quiet, bare)
	}
	listen(t)
	if listened := script(openSQLite(t, true)); listened != bare {
		t.Errorf("traced, listening:\n%s\nbare:\n%s", listened, bare)
	}

}
