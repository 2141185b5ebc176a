package tracestore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// RareKey lets tests pick how listings read filtered traces: set to 0,
// always by walking a listing's index.
var RareKey = &rareKey

// OpenRedisPrefix opens the Redis store with its keys under prefix, so
// that tests share one server without seeing each other's traces.
func OpenRedisPrefix(ctx context.Context, url string, o Options, prefix string) (Store, error) {
	return openRedisPrefix(ctx, url, o, prefix)
}

// RedisClient is the client of a store OpenRedisPrefix opened.
func RedisClient(s Store) *redis.Client { return s.(*redisStore).c }
