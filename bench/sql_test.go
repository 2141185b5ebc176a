package bench

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/XSAM/otelsql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "modernc.org/sqlite"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracesql"
)

// One indexed query through database/sql and modernc.org/sqlite (in
// memory), bare and through the traced drivers: what a service pays per
// query. The query itself costs a few microseconds; the differences are
// the instrumentation.

func openBench(b *testing.B, open func(name, dsn string) (*sql.DB, error)) *sql.DB {
	b.Helper()
	db, err := open("sqlite", ":memory:")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if _, err := db.Exec("INSERT INTO t VALUES (?, ?)", i, "name"); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

func queryLoop(b *testing.B, db *sql.DB, after func(i int)) {
	ctx := jstrace.WithRequestID(context.Background(), "req-1")
	var name string
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.QueryRowContext(ctx, "SELECT name FROM t WHERE id = ?", i%100).Scan(&name); err != nil {
			b.Fatal(err)
		}
		if after != nil {
			after(i)
		}
	}
}

func otelsqlOpen(opts ...otelsql.Option) func(name, dsn string) (*sql.DB, error) {
	return func(name, dsn string) (*sql.DB, error) { return otelsql.Open(name, dsn, opts...) }
}

// BenchmarkSQLQueryDisabled: nobody traces.
func BenchmarkSQLQueryDisabled(b *testing.B) {
	b.Run("bare-driver", func(b *testing.B) { queryLoop(b, openBench(b, sql.Open), nil) })
	b.Run("jstracesql", func(b *testing.B) { queryLoop(b, openBench(b, jstracesql.Open), nil) })
	// otelsql with the global tracer provider, no SDK installed.
	b.Run("otelsql-noop", func(b *testing.B) { queryLoop(b, openBench(b, otelsqlOpen()), nil) })
}

// BenchmarkSQLQueryEnabled: a session subscribes to db:* and its buffer is
// drained as the agent's pump does; otelsql with an SDK that samples
// every span and exports them to nowhere.
func BenchmarkSQLQueryEnabled(b *testing.B) {
	b.Run("jstracesql", func(b *testing.B) {
		drainedQueries(b, openBench(b, jstracesql.Open), 1024)
	})
	b.Run("otelsql-sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		queryLoop(b, openBench(b, otelsqlOpen(otelsql.WithTracerProvider(tp))), nil)
	})
}

// drainedQueries runs queryLoop on db with a session's buffer subscribed to
// every db: probe, drained every `every` queries outside the timer as the
// agent's pump does, and reports what it dropped.
func drainedQueries(b *testing.B, db *sql.DB, every int) {
	sub := jstrace.Subscribe(func(n string) bool { return strings.HasPrefix(n, "db:") }, 64<<20)
	defer sub.Close()
	buf := make([]byte, 0, 64<<20)
	queryLoop(b, db, func(i int) {
		if i%every == every-1 {
			b.StopTimer()
			buf = sub.Read(buf[:0])
			b.StartTimer()
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(sub.Dropped()), "dropped")
}
