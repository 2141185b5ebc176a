package jstracesql

import (
	"context"
	"database/sql/driver"
)

// connBase is what every wrapped connection exposes: driver.Conn, the
// optional interfaces the wrapper always implements (reproducing
// database/sql's fallback when the driver lacks them, fallback.go), and
// Unwrap for code that reaches the driver's own connection through
// sql.Conn.Raw.
type connBase interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.NamedValueChecker
	Unwrap() driver.Conn
}

// conn wraps a driver.Conn. It implements every optional method; connAs
// exposes, besides connBase, only those whose presence changes what
// database/sql does (running statements unprepared, and keeping a
// connection after a cancelled transaction) and that base has. Those
// methods are called only when exposed. Like the driver's, a connection is
// used by one goroutine at a time.
type conn struct {
	base driver.Conn
	cfg  *config
}

func wrapConn(c driver.Conn, cfg *config) driver.Conn {
	return connAs[connMask(c)](&conn{base: c, cfg: cfg})
}

// Unwrap returns the driver's own connection.
func (c *conn) Unwrap() driver.Conn { return c.base }

func (c *conn) Close() error { return c.base.Close() }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	k := c.cfg.start(chPrepare, context.Background(), query, nil)
	s, err := c.base.Prepare(query)
	k.end(err)
	if err != nil {
		return nil, err
	}
	return wrapStmt(s, c, query), nil
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	k := c.cfg.start(chPrepare, ctx, query, nil)
	s, err := prepare(ctx, c.base, query)
	k.end(err)
	if err != nil {
		return nil, err
	}
	return wrapStmt(s, c, query), nil
}

// Begin is not called by database/sql, which calls BeginTx.
func (c *conn) Begin() (driver.Tx, error) {
	ctx := context.Background()
	k := c.cfg.start(chBegin, ctx, "", nil)
	tx, err := c.base.Begin()
	k.end(err)
	return c.wrapTx(ctx, tx, err)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	k := c.cfg.start(chBegin, ctx, "", nil)
	tx, err := begin(ctx, c.base, opts)
	k.end(err)
	return c.wrapTx(ctx, tx, err)
}

// ExecContext is exposed only when base has ExecContext or Exec.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	k := c.cfg.start(chExec, ctx, query, args)
	r, err := execConn(ctx, c.base, query, args)
	k.endExec(r, err)
	return r, err
}

// QueryContext is exposed only when base has QueryContext or Query.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	k := c.cfg.start(chQuery, ctx, query, args)
	r, err := queryConn(ctx, c.base, query, args)
	return k.endQuery(ctx, r, err)
}

// Ping is nil without the driver's, as database/sql's ping then is.
func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.base.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	return c.base.(driver.SessionResetter).ResetSession(ctx)
}

func (c *conn) IsValid() bool { return c.base.(driver.Validator).IsValid() }

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	return checkNamedValue(nil, c.base, nv)
}

// endExec ends an exec with the rows it affected, when the driver says.
func (k call) endExec(r driver.Result, err error) {
	if !k.op.Active() {
		return
	}
	if err == nil && r != nil {
		if n, rerr := r.RowsAffected(); rerr == nil {
			k.end(nil, "rows_affected", n)
			return
		}
	}
	k.end(err)
}

// endQuery ends a query's synchronous part: the rows are returned. While
// someone listens they are wrapped to end the operation asynchronously
// when they are closed; else the driver's rows are returned as they are.
func (k call) endQuery(ctx context.Context, r driver.Rows, err error) (driver.Rows, error) {
	k.end(err)
	if err != nil || r == nil || !k.op.Active() {
		return r, err
	}
	return wrapRows(r, k, ctx), nil
}
