package tracestore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/redistest"
	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/tracestore/storetest"
)

// redisPrefixes numbers the key redisPrefixes of the Redis stores tests open on
// the shared server, so that no two tests see each other's traces.
var redisPrefixes atomic.Int64

// redisTestPrefix returns a key prefix no other store of this test binary uses.
func redisTestPrefix() string {
	return fmt.Sprintf("jstrace-test:%d:%d:", redisPrefixes.Add(1), redisNowNano())
}

// openRedisAt opens a Redis store on url under prefix, closed when t ends.
func openRedisAt(t testing.TB, url, prefix string, o tracestore.Options) tracestore.Store {
	t.Helper()
	s, err := tracestore.OpenRedisPrefix(context.Background(), url, o, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// redisOpener opens Redis stores for storetest: one key prefix per test,
// on the shared server.
func redisOpener() storetest.Opener {
	var mu sync.Mutex
	prefix := make(map[*testing.T]string)
	return func(t *testing.T, o tracestore.Options) tracestore.Store {
		t.Helper()
		mu.Lock()
		p, ok := prefix[t]
		if !ok {
			p = redisTestPrefix()
			prefix[t] = p
		}
		mu.Unlock()
		s, err := tracestore.OpenRedisPrefix(context.Background(), redistest.URL(t), o, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func TestRedisConformance(t *testing.T) {
	storetest.RunWith(t, storetest.Capabilities{RealClock: true}, redisOpener())
}

func redisNowNano() int64 { return time.Now().UnixNano() }
