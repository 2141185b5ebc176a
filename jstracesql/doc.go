// Package jstracesql traces a service's database/sql calls: a wrapper for
// any driver that publishes every query, exec, prepare and transaction as
// jstrace lifecycle channels, costing next to nothing while nobody traces.
//
// Change one line where the database is opened:
//
//	db, err := sql.Open("sqlite", dsn)          // before
//	db, err := jstracesql.Open("sqlite", dsn)   // after
//
// or wrap what you already have: [Wrap] a driver.Driver, [WrapConnector]
// (or [OpenDB]) a driver.Connector. [Options] (whose zero value is the
// default) says how much of a statement the events carry and whether they
// carry argument values.
//
// # Channels and fields
//
// Each operation is a [jstrace.Channel]: probes name:start, name:end (with
// "duration"), name:error (with "error" and "handled"), and for queries
// name:asyncEnd. Query, exec and prepare events carry "statement" (cut at
// [Options.MaxStatement] bytes, [DefaultMaxStatement] by default, ending
// with [CutMarker]); every event carries "request_id" when the context has one
// ([jstrace.WithRequestID]; package jstracehttp's middleware sets it).
//
//	db:query     QueryContext, QueryRowContext and prepared queries.
//	             end: the driver returned the rows (time to first result);
//	             asyncEnd: the rows were closed, with "rows" (how many were
//	             read) and "duration" since the start. Reading rows happens
//	             after the query returns, so asyncEnd is the query's whole
//	             cost; error also when reading fails or the context ends
//	             before the rows were all read.
//	db:exec      ExecContext and prepared execs; end has "rows_affected"
//	             when the driver reports it.
//	db:prepare   PrepareContext (and what database/sql prepares itself).
//	db:begin, db:commit, db:rollback
//	             a transaction; commit and rollback carry the context the
//	             transaction began with.
//
// database/sql's own conventions are kept. A driver that answers
// driver.ErrSkip declines (database/sql then prepares the statement, whose
// db:prepare and db:exec or db:query follow): the end event says
// skipped=true and there is no error event. driver.ErrBadConn is an error
// with handled=true, as database/sql retries on another connection (false
// on commit and rollback, which it does not retry). Methods of a driver
// without a context (Exec rather than ExecContext) give events without a
// request_id.
//
// # What is never recorded
//
// Argument values are not recorded: they carry passwords, tokens and
// personal data, and events reach whoever runs a tracing session. Set
// [Options.Args] to record them where that is acceptable. Write values as
// placeholders, not into the statement text, which is recorded.
//
// # Behaviour and cost
//
// Every connection, statement and rows keeps exactly the optional
// interfaces (driver.ExecerContext, driver.SessionResetter,
// driver.RowsColumnTypeScanType…) that the driver's has, and no others, so
// database/sql takes the same paths with and without the wrapper. A
// wrapped connection's Unwrap returns the driver's, for code that uses
// sql.Conn.Raw. While nobody listens, a call costs the channel's atomic
// loads and allocates nothing more than the bare driver (rows and
// transactions are then not wrapped at all; a prepared statement is
// wrapped once, when prepared). The price is code size: a type for every
// combination of optional interfaces (1024 for connections), about 6 MB of
// a stripped binary that uses every database/sql path.
//
// Wrapped drivers, connectors and their connections are safe for
// concurrent use exactly as the driver's are.
package jstracesql
