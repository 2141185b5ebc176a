// Command sizeprog measures what jstracesql adds to a binary: it uses every
// database/sql path over a minimal driver, through jstracesql when built
// with -tags traced:
//
//	go build -ldflags='-s -w' [-tags traced] ./jstracesql/testdata/sizeprog
package main

import (
	"context"

	"database/sql/driver"
	"fmt"
	"io"
)

type d struct{}
type c struct{}
type s struct{}
type r struct{ n int }
type t struct{}

func (d) Open(string) (driver.Conn, error)           { return c{}, nil }
func (c) Prepare(string) (driver.Stmt, error)        { return s{}, nil }
func (c) Close() error                               { return nil }
func (c) Begin() (driver.Tx, error)                  { return t{}, nil }
func (s) Close() error                               { return nil }
func (s) NumInput() int                              { return -1 }
func (s) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (s) Query([]driver.Value) (driver.Rows, error)  { return &r{}, nil }
func (*r) Columns() []string                         { return []string{"a"} }
func (*r) Close() error                              { return nil }
func (x *r) Next(dst []driver.Value) error {
	if x.n > 0 {
		return io.EOF
	}
	x.n++
	dst[0] = int64(1)
	return nil
}
func (t) Commit() error   { return nil }
func (t) Rollback() error { return nil }

func main() {
	db := open(d{})
	ctx := context.Background()
	fmt.Println(db.PingContext(ctx))
	fmt.Println(db.ExecContext(ctx, "x", 1))
	rows, err := db.QueryContext(ctx, "y")
	if err == nil {
		ct, _ := rows.ColumnTypes()
		for rows.Next() {
			var a int64
			fmt.Println(rows.Scan(&a), a, ct[0].DatabaseTypeName())
		}
		fmt.Println(rows.NextResultSet(), rows.Close())
	}
	var a int64
	fmt.Println(db.QueryRowContext(ctx, "z").Scan(&a))
	st, _ := db.PrepareContext(ctx, "p")
	fmt.Println(st.ExecContext(ctx, 1))
	tx, _ := db.BeginTx(ctx, nil)
	fmt.Println(tx.Commit())
	conn, _ := db.Conn(ctx)
	fmt.Println(conn.Raw(func(any) error { return nil }), conn.Close())
	fmt.Println(db.Close())
}
