package jstracesql

import (
	"context"
	"database/sql/driver"
	"errors"
)

// What database/sql does itself when a driver lacks an optional interface
// (its ctxutil.go, convert.go, sql.go), reproduced so that the wrappers can
// implement those interfaces always: database/sql then calls the wrapper's
// method, which calls the driver's, or does what database/sql would have
// done. Errors say what database/sql's say.

var (
	errNamedArgs = errors.New("sql: driver does not support the use of Named Parameters")
	errIsolation = errors.New("sql: driver does not support non-default isolation level")
	errReadOnly  = errors.New("sql: driver does not support read-only transactions")
)

// hasExec and hasQuery: database/sql runs a statement on the connection
// without preparing it when the driver has either form.
func hasExec(x any) bool {
	_, ok := x.(driver.ExecerContext)
	_, old := x.(driver.Execer)
	return ok || old
}

func hasQuery(x any) bool {
	_, ok := x.(driver.QueryerContext)
	_, old := x.(driver.Queryer)
	return ok || old
}

// done is ctx's error if it has ended, checked without blocking.
func done(ctx context.Context) error {
	select {
	default:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// values is database/sql's namedValueToValue: the arguments of a driver
// without the context methods, which knows no names.
func values(named []driver.NamedValue) ([]driver.Value, error) {
	dargs := make([]driver.Value, len(named))
	for n, param := range named {
		if len(param.Name) > 0 {
			return nil, errNamedArgs
		}
		dargs[n] = param.Value
	}
	return dargs, nil
}

// execConn is ctxDriverExec: ExecerContext, else Execer after converting
// the arguments and checking the context.
func execConn(ctx context.Context, c driver.Conn, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	dargs, err := values(args)
	if err != nil {
		return nil, err
	}
	if err := done(ctx); err != nil {
		return nil, err
	}
	return c.(driver.Execer).Exec(query, dargs)
}

// queryConn is ctxDriverQuery.
func queryConn(ctx context.Context, c driver.Conn, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	dargs, err := values(args)
	if err != nil {
		return nil, err
	}
	if err := done(ctx); err != nil {
		return nil, err
	}
	return c.(driver.Queryer).Query(query, dargs)
}

// prepare is ctxDriverPrepare: PrepareContext, else Prepare and, when the
// context ended meanwhile, close the statement and fail.
func prepare(ctx context.Context, c driver.Conn, query string) (driver.Stmt, error) {
	if p, ok := c.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	s, err := c.Prepare(query)
	if err == nil {
		if cerr := done(ctx); cerr != nil {
			s.Close()
			return nil, cerr
		}
	}
	return s, err
}

// begin is ctxDriverBegin: BeginTx, else refuse what Begin cannot do, Begin
// and, when the context ended meanwhile, roll back and fail. database/sql
// passes BeginTx zero options for nil ones, so the checks agree.
func begin(ctx context.Context, c driver.Conn, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	if opts.Isolation != 0 { // sql.LevelDefault
		return nil, errIsolation
	}
	if opts.ReadOnly {
		return nil, errReadOnly
	}
	t, err := c.Begin()
	if err == nil {
		if cerr := done(ctx); cerr != nil {
			t.Rollback()
			return nil, cerr
		}
	}
	return t, err
}

// execStmt is ctxDriverStmtExec.
func execStmt(ctx context.Context, s driver.Stmt, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := s.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	dargs, err := values(args)
	if err != nil {
		return nil, err
	}
	if err := done(ctx); err != nil {
		return nil, err
	}
	return s.Exec(dargs)
}

// queryStmt is ctxDriverStmtQuery.
func queryStmt(ctx context.Context, s driver.Stmt, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := s.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	dargs, err := values(args)
	if err != nil {
		return nil, err
	}
	if err := done(ctx); err != nil {
		return nil, err
	}
	return s.Query(dargs)
}

// checkNamedValue is the checker database/sql picks (convert.go,
// driverArgsConnLocked): the statement's, else the connection's; without
// either, driver.ErrSkip sends database/sql on to the statement's
// ColumnConverter, if any, then to its default conversion, as it does when
// there is no checker. s is nil for a statement run on the connection.
func checkNamedValue(s driver.Stmt, c driver.Conn, nv *driver.NamedValue) error {
	if v, ok := s.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	if v, ok := c.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
