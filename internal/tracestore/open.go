package tracestore

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Open opens the store named by where: "" for the embedded store at
// DefaultPath, a file path (or file:PATH) for an embedded store there,
// redis://[user:password@]host:port[/db] or rediss:// for Redis. Errors
// never quote a password.
func Open(ctx context.Context, where string, o Options) (Store, error) {
	switch {
	case where == "":
		p, err := DefaultPath()
		if err != nil {
			return nil, err
		}
		return openFile(ctx, p, o)
	case strings.HasPrefix(where, "redis://"), strings.HasPrefix(where, "rediss://"):
		return openRedis(ctx, where, o)
	case strings.Contains(where, "://"):
		return nil, fmt.Errorf("store %s: unknown scheme (want a file path or redis://host:port[/db])", Redact(where))
	default:
		return openFile(ctx, strings.TrimPrefix(where, "file:"), o)
	}
}

// DefaultPath is the embedded store's file: $XDG_STATE_HOME/jstrace/traces.db,
// or ~/.local/state/jstrace/traces.db.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("store: no state directory: %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "jstrace", "traces.db"), nil
}

// Redact returns a store's name fit for output: a URL's password replaced
// by "xxxxx".
func Redact(where string) string {
	u, err := url.Parse(where)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(where, "@") {
			return "(unparsable store URL)"
		}
		return where
	}
	return u.Redacted()
}
