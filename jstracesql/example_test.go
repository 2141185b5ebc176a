package jstracesql_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracesql"
	_ "modernc.org/sqlite"
)

// A service opens its database with jstracesql.Open instead of sql.Open;
// everything else stays as it was. Here a function subscribes to two of
// the probes in the process, as a tracing session would from the CLI.
func Example() {
	db, err := jstracesql.Open("sqlite", ":memory:") // was: sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database

	for _, probe := range []string{"db:exec:end", "db:query:asyncEnd"} {
		sub := jstrace.SubscribeFunc(func(p string) bool { return p == probe }, func(e jstrace.Event) {
			kv, _ := e.Args()
			fmt.Print(probe)
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] != "duration" { // varies from run to run
					fmt.Printf(" %s=%v", kv[i], kv[i+1])
				}
			}
			fmt.Println()
		})
		defer sub.Close()
	}

	ctx := jstrace.WithRequestID(context.Background(), "req-1") // the middleware does this
	db.ExecContext(ctx, "CREATE TABLE users (name TEXT, password TEXT)")
	db.ExecContext(ctx, "INSERT INTO users VALUES (?, ?), (?, ?)", "ann", "secret", "bob", "hunter2")
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	// Output:
	// db:exec:end request_id=req-1 statement=CREATE TABLE users (name TEXT, password TEXT) rows_affected=0
	// db:exec:end request_id=req-1 statement=INSERT INTO users VALUES (?, ?), (?, ?) rows_affected=2
	// db:query:asyncEnd request_id=req-1 statement=SELECT count(*) FROM users rows=1
}
