package jstracesql

import (
	"context"
	"database/sql/driver"
)

// stmt wraps a prepared driver.Stmt: its executions and queries publish
// db:exec and db:query with the statement it was prepared from. stmtAs
// exposes only the optional interfaces base has. Like the driver's, a
// statement is used by one goroutine at a time.
type stmt struct {
	base  driver.Stmt
	cfg   *config
	query string
}

// columnConverter is driver.ColumnConverter under a name that, embedded,
// does not hide its method.
type columnConverter interface {
	ColumnConverter(idx int) driver.ValueConverter
}

func wrapStmt(s driver.Stmt, c *conn, query string) driver.Stmt {
	return stmtAs[stmtMask(s)](&stmt{base: s, cfg: c.cfg, query: query})
}

func (s *stmt) Close() error  { return s.base.Close() }
func (s *stmt) NumInput() int { return s.base.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	k := s.cfg.startValues(chExec, s.query, args)
	// database/sql calls Exec when the driver has no ExecContext; so do we.
	r, err := s.base.Exec(args)
	k.endExec(r, err)
	return r, err
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	k := s.cfg.start(chExec, ctx, s.query, args)
	r, err := s.base.(driver.StmtExecContext).ExecContext(ctx, args)
	k.endExec(r, err)
	return r, err
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	k := s.cfg.startValues(chQuery, s.query, args)
	// database/sql calls Query when the driver has no QueryContext; so do we.
	r, err := s.base.Query(args)
	return k.endQuery(context.Background(), r, err)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	k := s.cfg.start(chQuery, ctx, s.query, args)
	r, err := s.base.(driver.StmtQueryContext).QueryContext(ctx, args)
	return k.endQuery(ctx, r, err)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	return s.base.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (s *stmt) ColumnConverter(idx int) driver.ValueConverter {
	return s.base.(driver.ColumnConverter).ColumnConverter(idx)
}
