package jstracesql

import (
	"context"
	"database/sql/driver"
)

// stmt wraps a prepared driver.Stmt: its executions and queries publish
// db:exec and db:query with the statement it was prepared from. It always
// implements stmtBase, reproducing database/sql's fallback where the
// driver's statement lacks an interface; stmtAs exposes ColumnConverter
// only when base has it (its presence changes how database/sql converts
// arguments). Like the driver's, a statement is used by one goroutine at a
// time.
type stmt struct {
	base  driver.Stmt
	conn  driver.Conn // the driver's connection it was prepared on
	cfg   *config
	query string
}

// stmtBase is what every wrapped statement exposes.
type stmtBase interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	driver.NamedValueChecker
}

// columnConverter is driver.ColumnConverter under a name that, embedded,
// does not hide its method.
type columnConverter interface {
	ColumnConverter(idx int) driver.ValueConverter
}

func wrapStmt(s driver.Stmt, c *conn, query string) driver.Stmt {
	return stmtAs[stmtMask(s)](&stmt{base: s, conn: c.base, cfg: c.cfg, query: query})
}

func (s *stmt) Close() error  { return s.base.Close() }
func (s *stmt) NumInput() int { return s.base.NumInput() }

// Exec is not called by database/sql, which calls ExecContext.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	k := s.cfg.startValues(chExec, s.query, args)
	r, err := s.base.Exec(args)
	k.endExec(r, err)
	return r, err
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	k := s.cfg.start(chExec, ctx, s.query, args)
	r, err := execStmt(ctx, s.base, args)
	k.endExec(r, err)
	return r, err
}

// Query is not called by database/sql, which calls QueryContext.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	k := s.cfg.startValues(chQuery, s.query, args)
	r, err := s.base.Query(args)
	return k.endQuery(context.Background(), r, err)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	k := s.cfg.start(chQuery, ctx, s.query, args)
	r, err := queryStmt(ctx, s.base, args)
	return k.endQuery(ctx, r, err)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	return checkNamedValue(s.base, s.conn, nv)
}

func (s *stmt) ColumnConverter(idx int) driver.ValueConverter {
	return s.base.(driver.ColumnConverter).ColumnConverter(idx)
}
