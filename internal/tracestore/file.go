package tracestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// schemaVersion is the layout the embedded store writes (PRAGMA
// user_version). A store refuses a file of a newer layout.
const schemaVersion = 1

// schema is the embedded store's layout. spans holds each (trace, span)
// once, clustered by trace so that a trace is one range read. traces holds
// one summary per trace, kept in the transaction that puts its spans, with
// an index per listing (slowest, latest, failing by day) and one for the
// retention sweep. trace_keys holds each service ("s" + name) and operation
// ("o" + name) of a trace, for the listings' filters.
const schema = `
CREATE TABLE IF NOT EXISTS spans (
	trace_id    TEXT NOT NULL,
	span_id     TEXT NOT NULL,
	parent_id   TEXT NOT NULL,
	service     TEXT NOT NULL,
	operation   TEXT NOT NULL,
	start_ns    INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	error       TEXT NOT NULL,
	error_type  TEXT NOT NULL,
	host        TEXT NOT NULL,
	extra       BLOB,
	PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traces (
	trace_id    TEXT PRIMARY KEY,
	service     TEXT NOT NULL,
	operation   TEXT NOT NULL,
	start_ns    INTEGER NOT NULL,
	first_span  TEXT NOT NULL,
	end_ns      INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	root        INTEGER NOT NULL,
	spans       INTEGER NOT NULL,
	errors      INTEGER NOT NULL,
	error       TEXT NOT NULL,
	error_ns    INTEGER NOT NULL,
	error_span  TEXT NOT NULL,
	services    TEXT NOT NULL,
	last_put    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_duration ON traces (duration_ns);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_failed ON traces (start_ns) WHERE errors > 0;
CREATE INDEX IF NOT EXISTS traces_last_put ON traces (last_put);
CREATE TABLE IF NOT EXISTS trace_keys (
	trace_id TEXT NOT NULL,
	key      TEXT NOT NULL,
	PRIMARY KEY (trace_id, key)
) WITHOUT ROWID;
`

// busyTimeout is how long a writer waits for another process's write
// transaction (SQLite's busy_timeout).
const busyTimeout = 10 * time.Second

// fileStore is the embedded store: one SQLite file in WAL mode, so that
// readers (other goroutines, `jstrace slow` in another process) never wait
// for the collector's writes, and writers of several processes take turns.
// It is safe for concurrent use: writes of one handle are serialized on
// its one write connection; reads use a small pool.
type fileStore struct {
	path      string
	db        *sql.DB
	retention time.Duration
	now       func() time.Time

	closed atomic.Bool
	wmu    sync.Mutex // serializes writes on w
	w      *writer
}

// openFile opens (creating it, its directory 0700 and the file 0600) the
// embedded store at path.
func openFile(ctx context.Context, path string, o Options) (Store, error) {
	if path == "" {
		return nil, errors.New("store: empty file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(OFF)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	s := &fileStore{path: path, db: db, retention: o.Retention, now: o.Now}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// init creates the layout (once, in a write transaction, so that two
// processes opening a new file at once do not race) and the writer.
func (s *fileStore) init(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		conn.Close()
		return err
	}
	if v > schemaVersion {
		conn.Close()
		return fmt.Errorf("layout version %d is newer than this jstrace's %d", v, schemaVersion)
	}
	if v < schemaVersion {
		err := inTx(ctx, conn, func() error {
			if _, err := conn.ExecContext(ctx, schema); err != nil {
				return err
			}
			_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion))
			return err
		})
		if err != nil {
			conn.Close()
			return fmt.Errorf("creating tables: %w", err)
		}
	}
	s.w, err = newWriter(ctx, conn)
	if err != nil {
		conn.Close()
		return err
	}
	return nil
}

// inTx runs f in a write transaction on conn.
func inTx(ctx context.Context, conn *sql.Conn, f func() error) error {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := f(); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	return nil
}

var errClosed = errors.New("store: closed")

// Close closes the store; a second Close does nothing.
func (s *fileStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	err := s.w.close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store %s: close: %w", s.path, err)
	}
	return nil
}

// cutoff is the last put before which a trace has expired, in Unix ns.
func (s *fileStore) cutoff() int64 { return unixNano(s.now().Add(-s.retention)) }

// unixNano is t in Unix nanoseconds, clamped to what int64 can hold
// (years 1678 to 2262).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return minTime.UnixNano()
	case t.After(maxTime):
		return maxTime.UnixNano()
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, -1<<63)
	maxTime = time.Unix(0, 1<<63-1)
)
