package jstracesql

import (
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// Open looks the driver up by name and wraps it, through a connector when
// the driver is a driver.DriverContext, as sql.Open does.
var openRuns atomic.Int64

func TestOpen(t *testing.T) {
	tests := []struct {
		name          string
		driverContext bool
	}{
		{"jstracesql-fake", false},
		{"jstracesql-fake-ctx", true},
	}
	all := uint(len(fakeConnAs) - 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDriver{conn: all, stmt: uint(len(fakeStmtAs) - 1), rows: uint(len(fakeRowsAs) - 1), log: &fakeLog{}}
			var mask uint
			if tt.driverContext {
				mask = 1
			}
			base := fakeDrvAs[mask](d)
			// database/sql registers a name once: a name per run, for -count.
			name := fmt.Sprintf("%s-%d", tt.name, openRuns.Add(1))
			sql.Register(name, base)
			db, err := Open(name, "dsn")
			if err != nil {
				t.Fatal(err)
			}
			if got := drvMask(db.Driver()); got != mask {
				t.Errorf("db.Driver() has mask %#x, want %#x", got, mask)
			}
			if db.Driver() == base {
				t.Error("db.Driver() is the bare driver, want it wrapped")
			}
			r := listen(t)
			if _, err := db.Exec("INSERT x"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if n := len(r.find("db:exec:end", "INSERT x")); n != 1 {
				t.Errorf("%d db:exec:end events, want 1", n)
			}
			log := d.log.String()
			// sql.Open's lookup and ours each open a connector; connections
			// come from ours, else straight from the driver with the DSN.
			want := "Open dsn"
			if tt.driverContext {
				want = "Open connector"
				if n := strings.Count(log, "OpenConnector dsn"); n != 2 {
					t.Errorf("OpenConnector called %d times, want 2", n)
				}
			}
			if !strings.Contains(log, want) {
				t.Errorf("driver log\n%s\nhas no %q", log, want)
			}
		})
	}
	if _, err := Open("jstracesql-no-such-driver", ""); err == nil || !strings.Contains(err.Error(), "jstracesql: ") {
		t.Errorf("unknown driver: %v, want a jstracesql error", err)
	}
}
