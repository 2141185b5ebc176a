package jstracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"testing"
)

// workload drives db down every path database/sql has (exec and query
// directly and through prepare, the ErrSkip fallback, a failing
// statement, ErrBadConn retries, named arguments, column types, result
// sets, transactions and their options, ping) and returns what the
// caller saw. arm(cancel) makes the driver call cancel in its next Begin or
// Prepare: the context ends while the driver works.
func workload(db *sql.DB, arm func(context.CancelFunc)) string {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	ctx := context.Background()
	var out strings.Builder
	say := func(what string, a ...any) { fmt.Fprintf(&out, what+"\n", a...) }
	exec := func(q string, args ...any) {
		r, err := db.ExecContext(ctx, q, args...)
		if err != nil {
			say("exec %s: %v", q, err)
			return
		}
		n, err := r.RowsAffected()
		say("exec %s: %d %v", q, n, err)
	}
	query := func(rows *sql.Rows, err error) {
		if err != nil {
			say("query: %v", err)
			return
		}
		defer rows.Close()
		types, err := rows.ColumnTypes()
		if err == nil {
			for _, ct := range types {
				l, lok := ct.Length()
				nl, nok := ct.Nullable()
				p, s, pok := ct.DecimalSize()
				say("column %s %s %v %d %v %v %v %d %d %v", ct.Name(), ct.DatabaseTypeName(), ct.ScanType(), l, lok, nl, nok, p, s, pok)
			}
		}
		for rows.Next() {
			var a int64
			var b string
			say("row %v %d %s", rows.Scan(&a, &b), a, b)
		}
		say("next set %v, err %v", rows.NextResultSet(), rows.Err())
	}
	say("ping %v", db.PingContext(ctx))
	exec("INSERT a", 1, "two")
	exec("SKIP b", 1)
	exec("ERR c")
	exec("BADCONN d")
	exec("INSERT named", sql.Named("x", 1))
	exec("INSERT id", fakeID(7)) // converted by whichever checker database/sql picks
	query(db.QueryContext(ctx, "SELECT e", 1))
	query(db.QueryContext(ctx, "SKIP f", 1))
	query(db.QueryContext(ctx, "ERR g"))
	var a int64
	var b string
	say("row %v", db.QueryRowContext(ctx, "SELECT h").Scan(&a, &b))
	st, err := db.PrepareContext(ctx, "UPDATE i")
	if err == nil {
		for i := range 2 {
			_, err := st.ExecContext(ctx, i, fakeID(i))
			say("stmt exec %v", err)
			query(st.QueryContext(ctx, i))
		}
		say("stmt close %v", st.Close())
	}
	_, err = db.PrepareContext(ctx, "ERR j")
	say("prepare %v", err)
	for _, opts := range []*sql.TxOptions{nil, {ReadOnly: true}, {Isolation: sql.LevelSerializable}} {
		tx, err := db.BeginTx(ctx, opts)
		if err != nil {
			say("begin %v", err)
			continue
		}
		_, err = tx.ExecContext(ctx, "INSERT k", 1)
		say("tx exec %v", err)
		query(tx.QueryContext(ctx, "SELECT l"))
		if opts == nil {
			say("commit %v", tx.Commit())
		} else {
			say("rollback %v", tx.Rollback())
		}
	}
	// The context ends while the driver begins: database/sql checks it
	// after Begin when the driver has no BeginTx, and rolls back; after
	// BeginTx, it rolls the transaction back itself, keeping the
	// connection only with SessionResetter and Validator. The next call
	// waits for that connection.
	cctx, cancel := context.WithCancel(ctx)
	arm(cancel)
	_, err = db.BeginTx(cctx, nil)
	say("begin, cancelled meanwhile: %v", err)
	// The same while the driver prepares.
	cctx, cancel = context.WithCancel(ctx)
	arm(cancel)
	st, err = db.PrepareContext(cctx, "UPDATE m")
	say("prepare, cancelled meanwhile: %v", err)
	if err == nil {
		say("stmt close %v", st.Close())
	}
	// Ended before: database/sql does not reach the driver.
	cctx, cancel = context.WithCancel(ctx)
	cancel()
	_, err = db.BeginTx(cctx, nil)
	say("begin, cancelled before: %v", err)
	_, err = db.PrepareContext(cctx, "UPDATE n")
	say("prepare, cancelled before: %v", err)
	say("close %v", db.Close())
	return out.String()
}

// TestBehaviourUnchanged runs the workload over fake drivers of every
// combination of optional interfaces, bare and wrapped (nobody listening,
// then someone listening): the same calls must reach the driver in the
// same order and the caller must see the same results.
func TestBehaviourUnchanged(t *testing.T) {
	for m := range uint(len(fakeConnAs)) {
		masks := struct{ conn, stmt, rows uint }{conn: m, stmt: m % uint(len(fakeStmtAs)), rows: (m / 3) % uint(len(fakeRowsAs))}
		t.Run(fmt.Sprintf("conn=%03x,stmt=%x,rows=%02x", masks.conn, masks.stmt, masks.rows), func(t *testing.T) {
			run := func(wrap bool) (seen, log string) {
				d := &fakeDriver{conn: masks.conn, stmt: masks.stmt, rows: masks.rows, log: &fakeLog{}}
				arm := func(cancel context.CancelFunc) { d.cancel.Store(&cancel) }
				var c driver.Connector = fakeConnector{d}
				if wrap {
					c = WrapConnector(c)
				}
				return workload(sql.OpenDB(c), arm), d.log.String()
			}
			seen, log := run(false)
			for _, listening := range []bool{false, true} {
				var r *recorder
				if listening {
					r = listen(t)
				}
				wseen, wlog := run(true)
				if wseen != seen {
					t.Errorf("listening=%v: the caller saw\n%s\nwant (bare driver)\n%s", listening, wseen, seen)
				}
				if wlog != log {
					t.Errorf("listening=%v: the driver got\n%s\nwant (bare driver)\n%s", listening, wlog, log)
				}
				if r != nil {
					balanced(t, r, masks.conn)
				}
			}
		})
	}
}

// balanced checks that every operation that started ended, and that the
// workload's operations were all seen.
func balanced(t *testing.T, r *recorder, connMask uint) {
	t.Helper()
	for _, ch := range []string{"db:query", "db:exec", "db:prepare", "db:begin", "db:commit", "db:rollback"} {
		starts, ends := len(r.all(ch+":start")), len(r.all(ch+":end"))
		if (starts == 0 && (ch != "db:rollback" || connMask&1 != 0)) || starts != ends {
			t.Errorf("%s: %d starts, %d ends", ch, starts, ends)
		}
	}
	// Without Execer the statement is prepared, and the prepare fails.
	if got := len(r.find("db:exec:error", "ERR c")) + len(r.find("db:prepare:error", "ERR c")); got != 1 {
		t.Errorf("db:exec:error or db:prepare:error for ERR c: %d events, want 1", got)
	}
	// ErrSkip: the driver's Execer declines, database/sql prepares.
	skipped := 0
	for _, e := range r.find("db:exec:end", "SKIP b") {
		if e.kv["skipped"] == true {
			skipped++
		}
	}
	wantSkipped := 0
	if connMask&(1<<2|1<<3) != 0 {
		wantSkipped = 1
	}
	if ends := len(r.find("db:exec:end", "SKIP b")); skipped != wantSkipped || ends != 1+wantSkipped {
		t.Errorf("SKIP b: %d ends, %d skipped; want %d, %d", ends, skipped, 1+wantSkipped, wantSkipped)
	}
	if n := len(r.find("db:exec:error", "SKIP b")); n != 0 {
		t.Errorf("ErrSkip reported as %d errors", n)
	}
	// ErrBadConn: database/sql retries on a fresh connection: handled.
	bad := append(r.find("db:exec:error", "BADCONN d"), r.find("db:prepare:error", "BADCONN d")...)
	if len(bad) == 0 {
		t.Error("no error event for BADCONN d")
	}
	for _, e := range bad {
		if e.kv["handled"] != true || e.kv["error"] != driver.ErrBadConn.Error() {
			t.Errorf("BADCONN d: %v, want the error, handled", e.kv)
		}
	}
	if q := r.find("db:query:asyncEnd", "SELECT e"); len(q) != 1 || q[0].kv["rows"] != int64(3) {
		t.Errorf("db:query:asyncEnd for SELECT e: %v, want one with rows=3", q)
	}
}

// TestWrapKeepsInterfaces: for every combination of the optional
// interfaces of what they wrap, each wrapper implements exactly those
// whose presence database/sql tells apart (the mask functions of
// wrap_gen.go) and always the others (connBase, stmtBase, rowsBase), whose
// absence it emulates.
func TestWrapKeepsInterfaces(t *testing.T) {
	cfg := Options{}.config()
	d := &fakeDriver{log: &fakeLog{}}
	c := &fakeConn{d: d}
	tests := []struct {
		name        string
		n           int
		wrap        func(m uint) (base, wrapped any)
		fake, exact func(any) uint
		always      func(any) bool
	}{
		{"driver", len(fakeDrvAs), func(m uint) (any, any) { b := fakeDrvAs[m](d); return b, wrapDriver(b, cfg) },
			fdrvMask, drvMask, nil},
		{"connector", len(fakeConnectorAs), func(m uint) (any, any) {
			b := fakeConnectorAs[m](fakeConnector{d})
			return b, wrapConnector(b, nil, cfg)
		}, fconnectorMask, connectorMask, nil},
		{"conn", len(fakeConnAs), func(m uint) (any, any) { b := fakeConnAs[m](c); return b, wrapConn(b, cfg) },
			fconnMask, connMask, func(x any) bool { _, ok := x.(connBase); return ok }},
		{"stmt", len(fakeStmtAs), func(m uint) (any, any) {
			b := fakeStmtAs[m](&fakeStmt{c: c})
			return b, wrapStmt(b, &conn{base: c, cfg: cfg}, "q")
		}, fstmtMask, stmtMask, func(x any) bool { _, ok := x.(stmtBase); return ok }},
		{"rows", len(fakeRowsAs), func(m uint) (any, any) {
			b := fakeRowsAs[m](&fakeRows{c: c})
			return b, wrapRows(b, call{}, context.Background())
		}, frowsMask, rowsMask, func(x any) bool { _, ok := x.(rowsBase); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for m := range uint(tt.n) {
				base, w := tt.wrap(m)
				if got := tt.fake(base); got != m {
					t.Fatalf("the fake of mask %#x has mask %#x", m, got)
				}
				if got, want := tt.exact(w), tt.exact(base); got != want {
					t.Errorf("mask %#x: wrapped, the exact interfaces are %#x, want %#x", m, got, want)
				}
				if tt.always != nil && !tt.always(w) {
					t.Errorf("mask %#x: %T lacks an interface it always implements", m, w)
				}
				if _, ok := w.(io.Closer); ok != (tt.name != "driver" && !(tt.name == "connector" && m == 0)) {
					t.Errorf("mask %#x: io.Closer %v", m, ok)
				}
				if tt.name != "conn" {
					continue
				}
				// Execer and Queryer become their context forms;
				// database/sql runs either unprepared.
				_, e := w.(driver.ExecerContext)
				_, q := w.(driver.QueryerContext)
				if e != (m&(1<<2|1<<3) != 0) || q != (m&(1<<4|1<<5) != 0) {
					t.Errorf("mask %#x: ExecerContext %v, QueryerContext %v", m, e, q)
				}
				_, e = w.(driver.Execer)
				_, q = w.(driver.Queryer)
				if e || q {
					t.Errorf("mask %#x: Execer %v, Queryer %v: only the context forms", m, e, q)
				}
			}
		})
	}
}
