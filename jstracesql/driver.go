package jstracesql

import (
	"context"
	"database/sql/driver"
	"io"
)

// drv wraps a driver.Driver; drvAs exposes DriverContext only when base has
// it.
type drv struct {
	base driver.Driver
	self driver.Driver // what wrapDriver returned: the connectors' Driver
	cfg  *config
}

func wrapDriver(d driver.Driver, cfg *config) driver.Driver {
	w := &drv{base: d, cfg: cfg}
	w.self = drvAs[drvMask(d)](w)
	return w.self
}

func (d *drv) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	return wrapConn(c, d.cfg), nil
}

// OpenConnector is exposed only when base is a driver.DriverContext.
func (d *drv) OpenConnector(name string) (driver.Connector, error) {
	c, err := d.base.(driver.DriverContext).OpenConnector(name)
	if err != nil {
		return nil, err
	}
	return wrapConnector(c, d.self, d.cfg), nil
}

// connector wraps a driver.Connector; connectorAs exposes io.Closer only
// when base has it (database/sql closes such a connector with the DB).
type connector struct {
	base driver.Connector
	d    driver.Driver // the wrapped driver
	cfg  *config
}

func wrapConnector(c driver.Connector, d driver.Driver, cfg *config) driver.Connector {
	return connectorAs[connectorMask(c)](&connector{base: c, d: d, cfg: cfg})
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return wrapConn(conn, c.cfg), nil
}

func (c *connector) Driver() driver.Driver { return c.d }

// Close is exposed only when base is an io.Closer.
func (c *connector) Close() error { return c.base.(io.Closer).Close() }

// nocmp, a first field of zero size, makes the generated wrapper types
// incomparable: nothing compares them, and the compiler then writes no
// equality function for each of the thousand.
type nocmp [0]func()
