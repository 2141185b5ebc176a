package jstracesql

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// TestOldDriverEventsCarryRequestID: a driver with none of the context
// methods (Exec, Query, Prepare, Begin only) still gets events with the
// request's ID, since the wrapper serves database/sql's context calls.
func TestOldDriverEventsCarryRequestID(t *testing.T) {
	const execer, queryer = 1 << 3, 1 << 5 // fconn's bits: driver.Execer, driver.Queryer
	tests := []struct {
		name string
		conn uint
	}{
		{"prepared", 0},
		{"execer and queryer", execer | queryer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDriver{conn: tt.conn, log: &fakeLog{}}
			db := sql.OpenDB(WrapConnector(fakeConnector{d}))
			defer db.Close()
			r := listen(t)
			ctx := jstrace.WithRequestID(context.Background(), "req-7")
			if _, err := db.ExecContext(ctx, "INSERT a", 1); err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(ctx, "SELECT b")
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			want := []string{"db:exec:start", "db:query:start", "db:begin:start", "db:commit:start"}
			if tt.conn == 0 {
				want = append(want, "db:prepare:start")
			}
			for _, name := range want {
				evs := r.all(name)
				if len(evs) == 0 {
					t.Errorf("no %s", name)
				}
				for _, e := range evs {
					if e.kv["request_id"] != "req-7" {
						t.Errorf("%s: %v, want request_id req-7", name, e.kv)
					}
				}
			}
		})
	}
}
