package jstracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// While nobody listens to the db:* channels the wrapper allocates nothing
// beyond what the driver and database/sql do: the same work is counted
// through the wrapper and on the bare driver.

// connWork is one of everything a connection does per request.
func connWork(t testing.TB, c driver.Conn) func() {
	ctx := jstrace.WithRequestID(context.Background(), "req")
	args := []driver.NamedValue{{Ordinal: 1, Value: int64(1)}}
	dest := make([]driver.Value, 2)
	return func() {
		rows, err := c.(driver.QueryerContext).QueryContext(ctx, "SELECT 1", args)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next(dest) == nil {
		}
		rows.Close()
		if _, err := c.(driver.ExecerContext).ExecContext(ctx, "UPDATE", args); err != nil {
			t.Fatal(err)
		}
		tx, _ := c.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{})
		tx.Commit()
	}
}

func TestAllocsConnNobodyListening(t *testing.T) {
	all := uint(len(fakeConnAs) - 1)
	d := &fakeDriver{conn: all, stmt: uint(len(fakeStmtAs) - 1), rows: uint(len(fakeRowsAs) - 1)}
	base, _ := d.Open("")
	wrapped, _ := Wrap(d).Open("")
	// A session that listens to something else: the db:* probes stay off.
	sub := jstrace.Subscribe(func(n string) bool { return n == "alloc:other" }, 0)
	defer sub.Close()

	bare := testing.AllocsPerRun(200, connWork(t, base))
	got := testing.AllocsPerRun(200, connWork(t, wrapped))
	if got != bare {
		t.Errorf("query, exec and a transaction: %v allocs through the wrapper, %v on the bare driver", got, bare)
	}

	st, _ := wrapped.(driver.ConnPrepareContext).PrepareContext(context.Background(), "SELECT ?")
	bst, _ := base.(driver.ConnPrepareContext).PrepareContext(context.Background(), "SELECT ?")
	stmtWork := func(s driver.Stmt) func() {
		args := []driver.NamedValue{{Ordinal: 1, Value: int64(1)}}
		return func() {
			s.(driver.StmtExecContext).ExecContext(context.Background(), args)
			r, _ := s.(driver.StmtQueryContext).QueryContext(context.Background(), args)
			r.Close()
		}
	}
	bare = testing.AllocsPerRun(200, stmtWork(bst))
	if got := testing.AllocsPerRun(200, stmtWork(st)); got != bare {
		t.Errorf("prepared statement: %v allocs through the wrapper, %v on the bare driver", got, bare)
	}
}

// TestQueryDoesNotAllocateMoreThanSQLite counts a query through
// database/sql and modernc.org/sqlite, traced and bare.
func TestQueryDoesNotAllocateMoreThanSQLite(t *testing.T) {
	ctx := jstrace.WithRequestID(context.Background(), "req")
	count := func(db *sql.DB) float64 {
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2)"); err != nil {
			t.Fatal(err)
		}
		st, err := db.PrepareContext(ctx, "SELECT v FROM t WHERE v > ?")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var v int
		return testing.AllocsPerRun(200, func() {
			if err := db.QueryRowContext(ctx, "SELECT v FROM t WHERE v = ?", 2).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "UPDATE t SET v = v WHERE v = ?", 1); err != nil {
				t.Fatal(err)
			}
			rows, err := st.QueryContext(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		})
	}
	bare := count(openSQLite(t, false))
	traced := count(openSQLite(t, true))
	if traced > bare {
		t.Errorf("query, exec, prepared query: %v allocs traced, %v bare", traced, bare)
	}
}
