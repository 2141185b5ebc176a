//go:build traced

package main

import (
	"database/sql"
	"database/sql/driver"

	"github.com/jstrace-go/jstrace/jstracesql"
)

func open(x driver.Driver) *sql.DB {
	sql.Register("d", jstracesql.Wrap(x))
	db, _ := sql.Open("d", "")
	return db
}
