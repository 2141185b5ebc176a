package tracestore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jstrace-go/jstrace/internal/redistest"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Tests of what the conformance suite cannot see: the Redis layout
// (TTLs, trimmed and pruned listings), round trips, URLs and passwords.

var redisT0 = time.Date(2031, 5, 20, 12, 0, 0, 0, time.UTC)

// trace is trace number n: a root of duration d and `children` children,
// the last one failed when failed is set.
func redisTrace(n int, d time.Duration, children int, failed bool) []tracestore.Span {
	tid := fmt.Sprintf("%032x", 0xbeef0000+n)
	start := redisT0.Add(time.Duration(n) * time.Millisecond)
	spans := []tracestore.Span{{TraceID: tid, SpanID: fmt.Sprintf("%016x", 1), Service: "web", Operation: "GET /", Start: start, Duration: d}}
	for i := 2; i <= children+1; i++ {
		spans = append(spans, tracestore.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", i), ParentID: spans[0].SpanID,
			Service: fmt.Sprintf("svc%d", i%5), Operation: fmt.Sprintf("op%d", i%7), Start: start.Add(time.Duration(i) * time.Microsecond), Duration: time.Microsecond})
	}
	if failed {
		spans[len(spans)-1].Error = "boom"
	}
	return spans
}

func redisPut(t testing.TB, s tracestore.Store, spans []tracestore.Span) {
	t.Helper()
	if err := s.Put(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
}

// redisIDs returns a function of a listing's results that returns the IDs it
// lists, failing t on an error: redisIDs(t)(s.Slow(ctx, q)).
func redisIDs(t *testing.T) func([]tracestore.Summary, error) []string {
	return func(sums []tracestore.Summary, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range sums {
			out = append(out, s.TraceID)
		}
		return out
	}
}

// TestRedisKeysExpire checks that every key a put writes has a TTL of at
// most the retention: nothing outlives it in Redis.
func TestRedisKeysExpire(t *testing.T) {
	ctx := context.Background()
	p := redisTestPrefix()
	s := openRedisAt(t, redistest.URL(t), p, tracestore.Options{Retention: time.Hour, Now: func() time.Time { return redisT0 }})
	redisPut(t, s, redisTrace(1, time.Second, 3, true))
	redisPut(t, s, redisTrace(2, time.Second, 3, false))
	if _, err := s.Errors(ctx, tracestore.Query{}); err != nil {
		t.Fatal(err)
	}
	c := tracestore.RedisClient(s)
	keys, err := c.Keys(ctx, p+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"spans:", "trace:", "slow", "slow:exp", "recent", "errors:2031-05-20"}
	for _, w := range want {
		found := false
		for _, k := range keys {
			found = found || strings.HasPrefix(k, p+w)
		}
		if !found {
			t.Errorf("no key %s* among %v", p+w, keys)
		}
	}
	for _, k := range keys {
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > time.Hour {
			t.Errorf("key %s: TTL %v, want (0, 1h]", k, ttl)
		}
	}
}

// TestRedisSlowOutlivesNothing checks that expired slow traces do not
// keep newer, faster ones out of the slowest MaxLimit, and that the slow
// set stays trimmed.
func TestRedisSlowOutlivesNothing(t *testing.T) {
	ctx := context.Background()
	url, p := redistest.URL(t), redisTestPrefix()
	short := openRedisAt(t, url, p, tracestore.Options{Retention: 300 * time.Millisecond})
	long := openRedisAt(t, url, p, tracestore.Options{Retention: time.Hour})
	var batch []tracestore.Span
	for n := 1; n <= tracestore.MaxLimit+10; n++ {
		batch = append(batch, redisTrace(n, time.Hour+time.Duration(n)*time.Second, 1, false)...)
	}
	redisPut(t, short, batch)
	// Traffic of a store keeping traces longer keeps the slow set.
	redisPut(t, long, redisTrace(999, time.Millisecond, 1, false))
	if n := tracestore.RedisClient(short).ZCard(ctx, p+"slow").Val(); n != tracestore.MaxLimit {
		t.Errorf("slow holds %d traces, want %d", n, tracestore.MaxLimit)
	}
	time.Sleep(500 * time.Millisecond)
	for n := 1000; n < 1003; n++ {
		redisPut(t, long, redisTrace(n, time.Duration(n)*time.Millisecond, 1, false))
	}
	got := redisIDs(t)(long.Slow(ctx, tracestore.Query{}))
	want := []string{redisTrace(1002, 0, 0, false)[0].TraceID, redisTrace(1001, 0, 0, false)[0].TraceID, redisTrace(1000, 0, 0, false)[0].TraceID}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Slow = %v, want %v", got, want)
	}
}

// TestRedisPrunes checks that a listing read drops the traces whose
// summary has expired.
func TestRedisPrunes(t *testing.T) {
	ctx := context.Background()
	url, p := redistest.URL(t), redisTestPrefix()
	now := func() time.Time { return redisT0 }
	short := openRedisAt(t, url, p, tracestore.Options{Retention: 200 * time.Millisecond, Now: now})
	long := openRedisAt(t, url, p, tracestore.Options{Retention: time.Hour, Now: now})
	redisPut(t, short, redisTrace(1, time.Second, 1, true))
	redisPut(t, long, redisTrace(2, time.Second, 1, true))
	time.Sleep(300 * time.Millisecond)
	c := tracestore.RedisClient(long)
	for _, l := range []struct {
		key  string
		list func(context.Context, tracestore.Query) ([]tracestore.Summary, error)
	}{{"recent", long.Recent}, {"errors:2031-05-20", long.Errors}, {"slow", long.Slow}} {
		if n := c.ZCard(ctx, p+l.key).Val(); n != 2 {
			t.Fatalf("%s holds %d traces before the read, want 2", l.key, n)
		}
		if got := redisIDs(t)(l.list(ctx, tracestore.Query{})); len(got) != 1 || got[0] != redisTrace(2, 0, 0, false)[0].TraceID {
			t.Errorf("%s lists %v, want trace 2 only", l.key, got)
		}
		if n := c.ZCard(ctx, p+l.key).Val(); n != 1 {
			t.Errorf("%s holds %d traces after the read, want 1", l.key, n)
		}
	}
}

// redisRoundTrips counts the commands and pipelines a client sends.
type redisRoundTrips struct{ cmds, pipes atomic.Int64 }

func (r *redisRoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *redisRoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.cmds.Add(1); return next(ctx, cmd) }
}
func (r *redisRoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.pipes.Add(1); return next(ctx, cmds) }
}

// TestRedisPutOneRoundTrip checks that a batch of spans of many traces
// costs one round trip, and that a Redis that lost its scripts (restart,
// SCRIPT FLUSH) costs a reload, not the batch.
func TestRedisPutOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openRedisAt(t, redistest.URL(t), redisTestPrefix(), tracestore.Options{})
	c := tracestore.RedisClient(s)
	redisPut(t, s, redisTrace(99, time.Second, 1, false)) // a connection ready (its handshake is commands too)
	var rt redisRoundTrips
	c.AddHook(&rt)
	var batch []tracestore.Span
	for n := 1; n <= 13; n++ {
		batch = append(batch, redisTrace(n, time.Second, 19, n%3 == 0)...)
	}
	redisPut(t, s, batch)
	if c, p := rt.cmds.Load(), rt.pipes.Load(); c != 0 || p != 1 {
		t.Errorf("Put of %d spans of 13 traces: %d commands, %d pipelines; want 0, 1", len(batch), c, p)
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	more := redisTrace(14, time.Second, 2, false)
	redisPut(t, s, append(more, batch...))
	for _, tr := range [][]tracestore.Span{batch[:20], more} {
		got, err := s.Trace(ctx, tr[0].TraceID)
		if err != nil || len(got) != len(tr) {
			t.Errorf("Trace after SCRIPT FLUSH: %d spans, %v; want %d", len(got), err, len(tr))
		}
	}
}

// redisClosedPort returns a loopback port nothing listens on.
func redisClosedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestRedisErrorsHidePassword checks that no error of Open or of a store
// quotes the URL's password.
func TestRedisErrorsHidePassword(t *testing.T) {
	const secret = "s3cr%65t-pw" // decodes to s3cret-pw
	down := redisClosedPort(t)
	srv := redistest.Start(t)
	host := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "redis://"), "/0")
	tests := []struct{ name, url string }{
		{"unparsable", "redis://user:" + secret + "@[::1/0"},
		{"slash in the password", "redis://user:s3/cret-pw@" + down + "/0"},
		{"bad database", "redis://user:" + secret + "@" + down + "/zero"},
		{"unknown option", "redis://user:" + secret + "@" + down + "/0?bogus=1"},
		{"nobody listens", "redis://user:" + secret + "@" + down + "/0"},
		{"password only", "redis://:" + secret + "@" + down + "/0"},
		{"tls to nobody", "rediss://user:" + secret + "@" + down + "/0"},
		{"wrong password", "redis://user:" + secret + "@" + host + "/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := tracestore.Open(ctx, tt.url, tracestore.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open: nil error")
			}
			msg := err.Error()
			for _, leak := range []string{"s3cr", "%65t", "cret-pw", "s3/"} {
				if strings.Contains(msg, leak) {
					t.Fatalf("error quotes the password (%q): %s", leak, msg)
				}
			}
			t.Log(msg)
		})
	}
	// A store whose Redis went away fails, quickly and without the password.
	s := openRedisAt(t, srv.URL, redisTestPrefix(), tracestore.Options{})
	redisPut(t, s, redisTrace(1, time.Second, 1, false))
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := s.Put(context.Background(), redisTrace(2, time.Second, 1, false))
	if err == nil {
		t.Fatal("Put to a stopped Redis: nil error")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Put to a stopped Redis took %v", d)
	}
	if errors.Is(err, tracestore.ErrInvalid) || !strings.Contains(err.Error(), "redis://127.0.0.1") {
		t.Errorf("Put to a stopped Redis: %v", err)
	}
}

// TestRedisBigBatch puts a batch of one trace's 20,000 spans, more values
// than a Lua call can take at once.
func TestRedisBigBatch(t *testing.T) {
	s := openRedisAt(t, redistest.URL(t), redisTestPrefix(), tracestore.Options{})
	spans := redisTrace(1, time.Minute, 19999, true)
	redisPut(t, s, append(spans, spans[:5000]...))
	got, err := s.Trace(context.Background(), spans[0].TraceID)
	if err != nil || len(got) != len(spans) {
		t.Fatalf("Trace: %d spans, %v; want %d", len(got), err, len(spans))
	}
	sums, err := s.Recent(context.Background(), tracestore.Query{})
	if err != nil || len(sums) != 1 || sums[0].Spans != len(spans) || sums[0].Errors != 1 || len(sums[0].Services) != 6 {
		t.Fatalf("Recent = %+v, %v", sums, err)
	}
}

// TestRedisPrunesPages checks that a listing read over several pages,
// pruning expired traces as it goes, skips none of the others.
func TestRedisPrunesPages(t *testing.T) {
	ctx := context.Background()
	url, p := redistest.URL(t), redisTestPrefix()
	now := func() time.Time { return redisT0 }
	short := openRedisAt(t, url, p, tracestore.Options{Retention: 200 * time.Millisecond, Now: now})
	long := openRedisAt(t, url, p, tracestore.Options{Retention: time.Hour, Now: now})
	var batch []tracestore.Span
	for n := 1000; n < 1300; n++ { // later than the long-kept ones: listed first
		batch = append(batch, redisTrace(n, time.Second, 0, true)...)
	}
	redisPut(t, short, batch)
	batch = batch[:0]
	for n := 1; n <= 30; n++ {
		batch = append(batch, redisTrace(n, time.Second, 0, true)...)
	}
	redisPut(t, long, batch)
	time.Sleep(300 * time.Millisecond)
	for name, list := range map[string]func(context.Context, tracestore.Query) ([]tracestore.Summary, error){
		"recent": long.Recent, "errors": long.Errors} {
		if got := redisIDs(t)(list(ctx, tracestore.Query{Limit: 30})); len(got) != 30 {
			t.Errorf("%s lists %d traces, want 30", name, len(got))
		}
	}
}
