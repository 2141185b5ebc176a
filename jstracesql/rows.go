package jstracesql

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
)

// rows wraps a query's driver.Rows while someone listens: reading them
// happens after the query returned, so the query's operation ends twice,
// as a Channel's operations do when work continues: db:query:end when the
// driver returned the rows (the time to the first result), and
// db:query:asyncEnd when they are closed, with the field "rows" (how many
// were read, over every result set) and "duration" since the start. An
// error reading them is a db:query:error; so is the query's context ending
// before the rows were all read (database/sql then closes them). rowsAs
// exposes RowsNextResultSet only when base has it. database/sql serializes a
// rows' Next and Close.
type rows struct {
	base driver.Rows
	k    call
	ctx  context.Context
	n    int64
	eof  bool
}

// rowsNextResultSet is driver.RowsNextResultSet without the driver.Rows
// it embeds, whose methods would be ambiguous in the generated types.
type rowsNextResultSet interface {
	HasNextResultSet() bool
	NextResultSet() error
}

// rowsBase is what every wrapped rows exposes: the column types, with
// database/sql's defaults when the driver's rows lack them.
type rowsBase interface {
	driver.RowsColumnTypeScanType
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
}

func wrapRows(r driver.Rows, k call, ctx context.Context) driver.Rows {
	return rowsAs[rowsMask(r)](&rows{base: r, k: k, ctx: ctx})
}

func (r *rows) Columns() []string { return r.base.Columns() }

func (r *rows) Next(dest []driver.Value) error {
	err := r.base.Next(dest)
	switch {
	case err == nil:
		r.n++
	case err == io.EOF:
		r.eof = true
	default:
		var buf [4]any
		r.k.op.Error(err, false, r.k.fields(&buf)...)
	}
	return err
}

func (r *rows) Close() error {
	err := r.base.Close()
	var buf [4]any
	if err != nil {
		r.k.op.Error(err, false, r.k.fields(&buf)...)
	} else if cerr := r.ctx.Err(); cerr != nil && !r.eof {
		r.k.op.Error(cerr, false, r.k.fields(&buf)...)
	}
	r.k.op.AsyncEnd(r.k.fields(&buf, "rows", r.n)...)
	return err
}

func (r *rows) HasNextResultSet() bool {
	return r.base.(driver.RowsNextResultSet).HasNextResultSet()
}

func (r *rows) NextResultSet() error {
	err := r.base.(driver.RowsNextResultSet).NextResultSet()
	if err == nil {
		r.eof = false
	}
	return err
}

// The column types: the driver's, else database/sql's defaults
// (sql.go, rowsColumnInfoSetupConnLocked).

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if p, ok := r.base.(driver.RowsColumnTypeScanType); ok {
		return p.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if p, ok := r.base.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return p.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	if p, ok := r.base.(driver.RowsColumnTypeLength); ok {
		return p.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if p, ok := r.base.(driver.RowsColumnTypeNullable); ok {
		return p.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if p, ok := r.base.(driver.RowsColumnTypePrecisionScale); ok {
		return p.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// tx wraps a driver.Tx (which has no optional interfaces) so that Commit
// and Rollback publish db:commit and db:rollback, with the context the
// transaction began with. It is made only when someone listens to those
// channels or to db:begin as the transaction begins; database/sql may
// call Rollback from another goroutine once, when the context ends.
type tx struct {
	base driver.Tx
	cfg  *config
	ctx  context.Context
}

func (c *conn) wrapTx(ctx context.Context, t driver.Tx, err error) (driver.Tx, error) {
	if err != nil || t == nil || !(chBegin.Enabled() || chCommit.Enabled() || chRollback.Enabled()) {
		return t, err
	}
	return &tx{base: t, cfg: c.cfg, ctx: ctx}, nil
}

func (t *tx) Commit() error {
	k := t.cfg.start(chCommit, t.ctx, "", nil)
	err := t.base.Commit()
	k.endTx(err)
	return err
}

func (t *tx) Rollback() error {
	k := t.cfg.start(chRollback, t.ctx, "", nil)
	err := t.base.Rollback()
	k.endTx(err)
	return err
}

// endTx ends a commit or rollback: database/sql retries neither, so even
// driver.ErrBadConn is unhandled.
func (k call) endTx(err error) {
	if err != nil && errors.Is(err, driver.ErrBadConn) {
		k.op.Error(err, false)
		k.op.End()
		return
	}
	k.end(err)
}
