package bench

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"testing"

	"github.com/XSAM/otelsql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracesql"
)

// The same query over a driver that does nothing (one row, at once), so
// that what remains is database/sql and the instrumentation alone: the
// SQLite figures are too noisy to show a few nanoseconds.

type nullConnector struct{}

func (nullConnector) Connect(context.Context) (driver.Conn, error) { return nullConn{}, nil }
func (nullConnector) Driver() driver.Driver                        { return nullDriver{} }

type nullDriver struct{}

func (nullDriver) Open(string) (driver.Conn, error) { return nullConn{}, nil }

type nullConn struct{}

func (nullConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("null: no prepare") }
func (nullConn) Close() error                        { return nil }
func (nullConn) Begin() (driver.Tx, error)           { return nil, errors.New("null: no tx") }

func (nullConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &nullRows{}, nil
}

type nullRows struct{ done bool }

func (*nullRows) Columns() []string { return []string{"name"} }
func (*nullRows) Close() error      { return nil }

func (r *nullRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, "name"
	return nil
}

func nullQueryLoop(b *testing.B, db *sql.DB) {
	b.Cleanup(func() { db.Close() })
	queryLoop(b, db, nil)
}

// connQueryLoop calls the connection's QueryContext directly, without
// database/sql: the wrapper's own cost per query, unblurred.
func connQueryLoop(b *testing.B, c driver.Connector) {
	conn, err := c.Connect(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	q := conn.(driver.QueryerContext)
	ctx := jstrace.WithRequestID(context.Background(), "req-1")
	args := []driver.NamedValue{{Ordinal: 1, Value: int64(1)}}
	dest := make([]driver.Value, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := q.QueryContext(ctx, "SELECT name FROM t WHERE id = ?", args)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next(dest) == nil {
		}
		rows.Close()
	}
}

// BenchmarkSQLNullQueryDisabled: nobody traces.
func BenchmarkSQLNullQueryDisabled(b *testing.B) {
	b.Run("conn-bare-driver", func(b *testing.B) { connQueryLoop(b, nullConnector{}) })
	b.Run("conn-jstracesql", func(b *testing.B) { connQueryLoop(b, jstracesql.WrapConnector(nullConnector{})) })
	b.Run("bare-driver", func(b *testing.B) { nullQueryLoop(b, sql.OpenDB(nullConnector{})) })
	b.Run("jstracesql", func(b *testing.B) { nullQueryLoop(b, jstracesql.OpenDB(nullConnector{})) })
	b.Run("otelsql-noop", func(b *testing.B) { nullQueryLoop(b, otelsql.OpenDB(nullConnector{})) })
}

// BenchmarkSQLNullQueryEnabled: a session subscribes to db:* (drained);
// otelsql with an SDK sampling every span, exported to nowhere.
func BenchmarkSQLNullQueryEnabled(b *testing.B) {
	b.Run("jstracesql", func(b *testing.B) {
		db := jstracesql.OpenDB(nullConnector{})
		b.Cleanup(func() { db.Close() })
		drainedQueries(b, db, 65536)
	})
	b.Run("otelsql-sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		nullQueryLoop(b, otelsql.OpenDB(nullConnector{}, otelsql.WithTracerProvider(tp)))
	})
}
