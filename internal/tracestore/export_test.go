package tracestore

import "context"

// OpenRedisPrefix opens the Redis store with its keys under prefix, so
// that tests share one server without seeing each other's traces.
func OpenRedisPrefix(ctx context.Context, url string, o Options, prefix string) (Store, error) {
	return openRedisPrefix(ctx, url, o, prefix)
}
