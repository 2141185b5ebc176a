package jstracesql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// A fake driver (not a mock: it behaves, and logs what reached it) whose
// connections, statements and rows implement exactly the optional
// interfaces of their masks, built with the same generated types as the
// wrappers (wrap_gen_test.go). Statements steer it: "ERR…" fails, "SKIP…" makes
// Execer/Queryer answer driver.ErrSkip, "BADCONN…" answers
// driver.ErrBadConn.

// The methods of driver.Rows' optional interfaces, which embed
// driver.Rows: the fakes' generated types embed these instead.
type (
	rowsScanType         interface{ ColumnTypeScanType(int) reflect.Type }
	rowsDatabaseTypeName interface{ ColumnTypeDatabaseTypeName(int) string }
	rowsLength           interface{ ColumnTypeLength(int) (int64, bool) }
	rowsNullable         interface {
		ColumnTypeNullable(int) (nullable, ok bool)
	}
	rowsPrecisionScale interface {
		ColumnTypePrecisionScale(int) (precision, scale int64, ok bool)
	}
)

type fakeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *fakeLog) add(format string, a ...any) {
	if l == nil { // a quiet fake, for allocation counts
		return
	}
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
	l.mu.Unlock()
}

func (l *fakeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type fakeDriver struct {
	conn, stmt, rows uint // masks
	log              *fakeLog
	cancel           atomic.Pointer[context.CancelFunc] // called by the next Begin or Prepare
}

// trip calls the cancel function armed, if any, once.
func (d *fakeDriver) trip() {
	if f := d.cancel.Swap(nil); f != nil {
		(*f)()
	}
}

// fakeID is an argument type the fake's checkers convert, each its own way,
// so that the log shows which database/sql used: the connection's
// CheckNamedValue multiplies by 10, the statement's by 100, and the
// ColumnConverter and the default conversion leave it as it is.
type fakeID int64

func (d *fakeDriver) Open(name string) (driver.Conn, error) {
	d.log.add("Open %s", name)
	return fakeConnAs[d.conn](&fakeConn{d: d}), nil
}

func (d *fakeDriver) OpenConnector(name string) (driver.Connector, error) {
	d.log.add("OpenConnector %s", name)
	return fakeConnector{d}, nil
}

type fakeConnector struct{ d *fakeDriver }

func (c fakeConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("connector") }
func (c fakeConnector) Driver() driver.Driver                        { return c.d }
func (c fakeConnector) Close() error                                 { c.d.log.add("Connector.Close"); return nil }

type fakeConn struct{ d *fakeDriver }

var errFake = errors.New("fake: syntax error")

func (c *fakeConn) fail(op, q string) error {
	switch {
	case strings.HasPrefix(q, "ERR"):
		return errFake
	case strings.HasPrefix(q, "BADCONN"):
		return driver.ErrBadConn
	case strings.HasPrefix(q, "SKIP") && (op == "Exec" || op == "Query"):
		return driver.ErrSkip
	}
	return nil
}

func (c *fakeConn) Unwrap() driver.Conn { return c }
func (c *fakeConn) Close() error        { c.d.log.add("Conn.Close"); return nil }

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.d.log.add("Prepare %s", q)
	c.d.trip()
	if err := c.fail("Prepare", q); err != nil {
		return nil, err
	}
	return fakeStmtAs[c.d.stmt](&fakeStmt{c: c, q: q}), nil
}

func (c *fakeConn) PrepareContext(_ context.Context, q string) (driver.Stmt, error) {
	c.d.log.add("PrepareContext %s", q)
	c.d.trip()
	if err := c.fail("Prepare", q); err != nil {
		return nil, err
	}
	return fakeStmtAs[c.d.stmt](&fakeStmt{c: c, q: q}), nil
}

func (c *fakeConn) Begin() (driver.Tx, error) {
	c.d.log.add("Begin")
	c.d.trip()
	return fakeTx{c}, nil
}

func (c *fakeConn) BeginTx(_ context.Context, o driver.TxOptions) (driver.Tx, error) {
	c.d.log.add("BeginTx %+v", o)
	c.d.trip()
	return fakeTx{c}, nil
}

func (c *fakeConn) Exec(q string, args []driver.Value) (driver.Result, error) {
	c.d.log.add("Exec %s %v", q, args)
	return driver.RowsAffected(len(args)), c.fail("Exec", q)
}

func (c *fakeConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.d.log.add("ExecContext %s %v", q, args)
	return driver.RowsAffected(len(args)), c.fail("Exec", q)
}

func (c *fakeConn) Query(q string, args []driver.Value) (driver.Rows, error) {
	c.d.log.add("Query %s %v", q, args)
	if err := c.fail("Query", q); err != nil {
		return nil, err
	}
	return fakeRowsAs[c.d.rows](&fakeRows{c: c, left: 3}), nil
}

func (c *fakeConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.d.log.add("QueryContext %s %v", q, args)
	if err := c.fail("Query", q); err != nil {
		return nil, err
	}
	return fakeRowsAs[c.d.rows](&fakeRows{c: c, left: 3}), nil
}

func (c *fakeConn) Ping(context.Context) error         { c.d.log.add("Ping"); return nil }
func (c *fakeConn) ResetSession(context.Context) error { c.d.log.add("ResetSession"); return nil }
func (c *fakeConn) IsValid() bool                      { c.d.log.add("IsValid"); return true }

func (c *fakeConn) CheckNamedValue(nv *driver.NamedValue) error {
	c.d.log.add("Conn.CheckNamedValue %v", nv.Value)
	if id, ok := nv.Value.(fakeID); ok {
		nv.Value = int64(id) * 10
		return nil
	}
	return driver.ErrSkip
}

type fakeTx struct{ c *fakeConn }

func (t fakeTx) Commit() error   { t.c.d.log.add("Commit"); return nil }
func (t fakeTx) Rollback() error { t.c.d.log.add("Rollback"); return nil }

type fakeStmt struct {
	c *fakeConn
	q string
}

func (s *fakeStmt) Close() error  { s.c.d.log.add("Stmt.Close %s", s.q); return nil }
func (s *fakeStmt) NumInput() int { return -1 }

func (s *fakeStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.c.d.log.add("Stmt.Exec %s %v", s.q, args)
	return driver.RowsAffected(len(args)), nil
}

func (s *fakeStmt) ExecContext(_ context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.d.log.add("Stmt.ExecContext %s %v", s.q, args)
	return driver.RowsAffected(len(args)), nil
}

func (s *fakeStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.c.d.log.add("Stmt.Query %s %v", s.q, args)
	return fakeRowsAs[s.c.d.rows](&fakeRows{c: s.c, left: 3}), nil
}

func (s *fakeStmt) QueryContext(_ context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.d.log.add("Stmt.QueryContext %s %v", s.q, args)
	return fakeRowsAs[s.c.d.rows](&fakeRows{c: s.c, left: 3}), nil
}

func (s *fakeStmt) CheckNamedValue(nv *driver.NamedValue) error {
	s.c.d.log.add("Stmt.CheckNamedValue %v", nv.Value)
	if id, ok := nv.Value.(fakeID); ok {
		nv.Value = int64(id) * 100
		return nil
	}
	return driver.ErrSkip
}

func (s *fakeStmt) ColumnConverter(idx int) driver.ValueConverter {
	s.c.d.log.add("ColumnConverter %d", idx)
	return driver.DefaultParameterConverter
}

type fakeRows struct {
	c    *fakeConn
	left int
}

func (r *fakeRows) Columns() []string { return []string{"a", "b"} }
func (r *fakeRows) Close() error      { r.c.d.log.add("Rows.Close"); return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.left == 0 {
		return io.EOF
	}
	r.left--
	dest[0], dest[1] = int64(r.left), "x"
	return nil
}

func (r *fakeRows) HasNextResultSet() bool { r.c.d.log.add("HasNextResultSet"); return false }
func (r *fakeRows) NextResultSet() error   { r.c.d.log.add("NextResultSet"); return io.EOF }

func (r *fakeRows) ColumnTypeScanType(int) reflect.Type {
	r.c.d.log.add("ScanType")
	return reflect.TypeFor[int64]()
}

func (r *fakeRows) ColumnTypeDatabaseTypeName(int) string {
	r.c.d.log.add("DatabaseTypeName")
	return "INT"
}
func (r *fakeRows) ColumnTypeLength(int) (int64, bool) { r.c.d.log.add("Length"); return 8, true }
func (r *fakeRows) ColumnTypeNullable(int) (bool, bool) {
	r.c.d.log.add("Nullable")
	return false, true
}

func (r *fakeRows) ColumnTypePrecisionScale(int) (int64, int64, bool) {
	r.c.d.log.add("PrecisionScale")
	return 0, 0, false
}
