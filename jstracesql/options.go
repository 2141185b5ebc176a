package jstracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// DefaultMaxStatement is how many bytes of a statement's text the events
// carry when [Options.MaxStatement] is zero.
const DefaultMaxStatement = 1024

// Options tune what the events carry. The zero value works: statements cut
// at [DefaultMaxStatement] bytes, no argument values. Options are copied
// when a driver is wrapped; a wrapped driver is safe for concurrent use as
// its base is.
type Options struct {
	// MaxStatement is how many bytes of a statement's text the field
	// "statement" carries; a longer text is cut on a character boundary
	// and ends with CutMarker. Zero means DefaultMaxStatement; negative
	// leaves the field out.
	MaxStatement int

	// Args adds the statement's argument values as the field "args" (a
	// list, in placeholder order). Default false: argument values carry
	// passwords, tokens and personal data, and events reach whoever runs a
	// tracing session. Even when true, they are copied only while someone
	// listens.
	Args bool
}

// config is Options resolved, shared by everything one wrapper creates.
type config struct {
	maxStatement int
	args         bool
}

func (o Options) config() *config {
	c := &config{maxStatement: o.MaxStatement, args: o.Args}
	if c.maxStatement == 0 {
		c.maxStatement = DefaultMaxStatement
	}
	return c
}

// Wrap returns d traced with o: every connection it opens publishes the
// db:* channels. The result implements driver.DriverContext exactly when d
// does.
func (o Options) Wrap(d driver.Driver) driver.Driver { return wrapDriver(d, o.config()) }

// WrapConnector returns c traced with o: every connection it opens
// publishes the db:* channels. The result's Driver is c's driver wrapped,
// and it implements io.Closer exactly when c does.
func (o Options) WrapConnector(c driver.Connector) driver.Connector {
	cfg := o.config()
	return wrapConnector(c, wrapDriver(c.Driver(), cfg), cfg)
}

// Open is sql.Open with the driver registered as driverName wrapped with
// o. The driver is looked up through a throwaway sql.Open (which, for a
// driver.DriverContext, parses dsn once more); like sql.Open, Open
// connects to nothing.
func (o Options) Open(driverName, dsn string) (*sql.DB, error) {
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("jstracesql: %w", err)
	}
	d := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, fmt.Errorf("jstracesql: closing the lookup of driver %q: %w", driverName, err)
	}
	cfg := o.config()
	if dc, ok := d.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, fmt.Errorf("jstracesql: driver %q: %w", driverName, err)
		}
		return sql.OpenDB(wrapConnector(c, wrapDriver(d, cfg), cfg)), nil
	}
	return sql.OpenDB(dsnConnector{dsn: dsn, d: wrapDriver(d, cfg)}), nil
}

// OpenDB is sql.OpenDB with c wrapped with o.
func (o Options) OpenDB(c driver.Connector) *sql.DB { return sql.OpenDB(o.WrapConnector(c)) }

// Wrap is Options{}.Wrap: d traced with the default options.
func Wrap(d driver.Driver) driver.Driver { return Options{}.Wrap(d) }

// WrapConnector is Options{}.WrapConnector.
func WrapConnector(c driver.Connector) driver.Connector { return Options{}.WrapConnector(c) }

// Open is Options{}.Open: sql.Open traced. It is the one line to change in
// a service:
//
//	db, err := sql.Open("sqlite", dsn)            // before
//	db, err := jstracesql.Open("sqlite", dsn)     // after
func Open(driverName, dsn string) (*sql.DB, error) { return Options{}.Open(driverName, dsn) }

// OpenDB is Options{}.OpenDB: sql.OpenDB traced.
func OpenDB(c driver.Connector) *sql.DB { return Options{}.OpenDB(c) }

// dsnConnector is what sql.Open makes of a driver that is no
// driver.DriverContext: every connection opened with the same name.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (t dsnConnector) Connect(context.Context) (driver.Conn, error) { return t.d.Open(t.dsn) }
func (t dsnConnector) Driver() driver.Driver                        { return t.d }
