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
// on commit and rollback, which it does not retry). A driver without the
// context methods (Exec rather than ExecContext) gets the same calls as
// without the wrapper, and its events carry request_id all the same.
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
// database/sql behaves the same with and without the wrapper: it makes
// the same calls to the driver, in the same order, and returns the same
// results. It decides what to do from the optional interfaces a
// connection, statement or rows implements, so the wrapper keeps those
// whose mere presence changes its course, exactly as the driver has them:
//
//   - driver.ExecerContext and driver.QueryerContext, exposed when the
//     driver's connection has either form (the old Execer and Queryer are
//     served through them as database/sql serves them): with one,
//     database/sql runs a statement on the connection before preparing it.
//   - driver.SessionResetter and driver.Validator: with both, a
//     connection survives a transaction its context cancelled.
//   - driver.ColumnConverter on statements: it changes how arguments are
//     converted.
//   - driver.RowsNextResultSet on rows: without it, database/sql closes the
//     rows at the end of the first result set, leaving their error as is.
//
// The others are always implemented, doing what database/sql does when the
// driver lacks them, with its error messages: a transaction with options
// Begin cannot honour is refused, and one whose context ends during Begin
// rolled back (driver.ConnBeginTx); a statement prepared while the context
// ended is closed (driver.ConnPrepareContext); Ping succeeds
// (driver.Pinger); statements run through Exec and Query after the same
// argument and context checks (driver.StmtExecContext,
// driver.StmtQueryContext); argument checks fall through to the next
// checker database/sql would use (driver.NamedValueChecker); and column
// types have its defaults (driver.RowsColumnTypeScanType and the rest). A
// wrapped connection's Unwrap returns the driver's, for code that uses
// sql.Conn.Raw and needs its own interfaces.
//
// While nobody listens, a call costs the channel's atomic loads and
// allocates nothing more than the bare driver (rows and transactions are
// then not wrapped at all; a prepared statement is wrapped once, when
// prepared). Code size: the package adds about 190 kB to a stripped binary
// that already uses jstrace (0.6 MB with jstrace itself), as measured on a
// program that uses every database/sql path.
//
// Wrapped drivers, connectors and their connections are safe for
// concurrent use exactly as the driver's are.
package jstracesql
