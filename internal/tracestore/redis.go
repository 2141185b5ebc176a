package tracestore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisPrefix starts every key of the Redis store.
const redisPrefix = "jstrace:"

// recentKeep is how many of the latest traces the Redis store lists as
// recent (Recent filters among them).
const recentKeep = 10000

// Timeouts of the Redis store's connections unless the URL sets them
// (?dial_timeout=, ?read_timeout=, ?write_timeout=).
const (
	redisDialTimeout = 5 * time.Second
	redisIOTimeout   = 3 * time.Second
)

// redisStore is the Store on Redis: the layout is in redis_script.go.
// Safe for concurrent use; several processes may share one Redis.
type redisStore struct {
	c      *redis.Client
	name   string // the URL, redacted
	url    string // the URL, for redactText only
	prefix string
	ttl    time.Duration
	now    func() time.Time
}

// quietOnce silences go-redis's own logger (it prints dial failures to
// stderr): the store returns its errors, and the collector reports them.
var quietOnce sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func openRedis(ctx context.Context, where string, o Options) (Store, error) {
	return openRedisPrefix(ctx, where, o, redisPrefix)
}

// openRedisPrefix opens the Redis store with its keys under prefix (tests
// give each store a prefix of its own on one server).
func openRedisPrefix(ctx context.Context, where string, o Options, prefix string) (*redisStore, error) {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	name := Redact(where)
	if _, err := url.Parse(where); err != nil { // its message quotes the URL
		return nil, fmt.Errorf("store %s: not a URL (want redis://[user:password@]host:port[/db])", name)
	}
	opt, err := redis.ParseURL(where)
	if err != nil {
		return nil, fmt.Errorf("store %s: %s", name, redactText(err.Error(), where))
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = redisDialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = redisIOTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = redisIOTimeout
	}
	opt.ContextTimeoutEnabled = true
	s := &redisStore{c: redis.NewClient(opt), name: name, url: where, prefix: prefix, ttl: o.Retention, now: o.Now}
	if s.ttl <= 0 {
		s.ttl = DefaultRetention
	}
	if s.ttl < time.Millisecond {
		s.ttl = time.Millisecond
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.check(ctx); err != nil {
		s.c.Close()
		return nil, err
	}
	return s, nil
}

// versionOK returns the version INFO server reports, and whether it is
// 6.2 or later.
func versionOK(info string) (string, bool) {
	v := "unknown"
	for _, line := range strings.Split(info, "\n") {
		if after, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			v = after
		}
	}
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return v, false
	}
	return v, major > 6 || major == 6 && minor >= 2
}

// check connects, checks the server's version (the scripts need Redis
// 6.2: ZRANGE BYSCORE) and loads putScript.
func (s *redisStore) check(ctx context.Context) error {
	info, err := s.c.Info(ctx, "server").Result()
	if err != nil {
		return s.fail("open", err)
	}
	if v, ok := versionOK(info); !ok {
		return fmt.Errorf("store %s: redis version %.20q: want 6.2 or later", s.name, v)
	}
	if err := putScript.Load(ctx, s.c).Err(); err != nil {
		return s.fail("open", err)
	}
	return nil
}

// fail wraps err for output: the store's redacted name, and any trace of
// its password cut from the message.
func (s *redisStore) fail(op string, err error) error {
	return &redisError{msg: fmt.Sprintf("store %s: %s: %s", s.name, op, redactText(err.Error(), s.url)), err: err}
}

// A redisError carries a Redis error with a message fit for output; it
// unwraps to the error for errors.Is (context.DeadlineExceeded, ...).
type redisError struct {
	msg string
	err error
}

func (e *redisError) Error() string { return e.msg }
func (e *redisError) Unwrap() error { return e.err }

// redactText replaces in msg the user information (user:password) of the
// URL where, if any.
func redactText(msg, where string) string {
	rest, ok := strings.CutPrefix(where, "redis://")
	if !ok {
		rest, ok = strings.CutPrefix(where, "rediss://")
	}
	if !ok {
		return msg
	}
	if i := strings.LastIndexByte(rest, '@'); i > 0 {
		msg = strings.ReplaceAll(msg, rest[:i], "xxxxx")
		if k := strings.IndexByte(rest[:i], ':'); k >= 0 && k+1 < i {
			msg = strings.ReplaceAll(msg, rest[k+1:i], "xxxxx")
		}
	}
	return msg
}

func (s *redisStore) Close() error {
	if err := s.c.Close(); err != nil {
		return s.fail("close", err)
	}
	return nil
}

func (s *redisStore) spansKey(trace string) string { return s.prefix + "spans:" + trace }
func (s *redisStore) traceKey(trace string) string { return s.prefix + "trace:" + trace }
func (s *redisStore) slowKey() string              { return s.prefix + "slow" }
func (s *redisStore) slowExpKey() string           { return s.prefix + "slow:exp" }
func (s *redisStore) recentKey() string            { return s.prefix + "recent" }
func (s *redisStore) errorsKey(day string) string  { return s.prefix + "errors:" + day }

// putChunk is about how many spans one putScript call takes: a bigger
// batch is cut into several calls (still one round trip), so that Redis,
// which runs a script alone, serves other clients between them.
const putChunk = 512

// Put stores the batch in one round trip: putScript calls of about
// putChunk spans, pipelined. Redis runs each atomically; a batch as a
// whole is not (a reader may see some of its calls before others).
func (s *redisStore) Put(ctx context.Context, spans []Span) error {
	for i := range spans {
		if err := spans[i].Validate(); err != nil {
			return fmt.Errorf("store %s: put: %w", s.name, err)
		}
	}
	if len(spans) == 0 {
		return nil
	}
	byTrace := map[string][]*Span{} // in the order of first arrival
	var order []string
	for i := range spans {
		t := spans[i].TraceID
		if _, ok := byTrace[t]; !ok {
			order = append(order, t)
		}
		byTrace[t] = append(byTrace[t], &spans[i])
	}
	type call struct {
		keys []string
		args []any
		n    int
	}
	head := []any{s.ttl.Milliseconds(), MaxLimit, recentKeep, s.prefix + "errors:"}
	var calls []*call
	var c *call
	for _, t := range order {
		for rest := byTrace[t]; len(rest) > 0; {
			if c == nil || c.n >= putChunk {
				c = &call{keys: []string{s.slowKey(), s.slowExpKey(), s.recentKey()}, args: append([]any(nil), head...)}
				calls = append(calls, c)
			}
			part := rest[:min(len(rest), putChunk-c.n)]
			rest = rest[len(part):]
			c.n += len(part)
			c.keys = append(c.keys, s.spansKey(t), s.traceKey(t))
			var err error
			if c.args, err = appendTraceArgs(append(c.args, t, len(part)), part); err != nil {
				return fmt.Errorf("store %s: put: trace %s: %w", s.name, t, err)
			}
		}
	}
	run := func() error {
		pipe := s.c.Pipeline()
		for _, c := range calls {
			putScript.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	err := run()
	if redis.HasErrorPrefix(err, "NOSCRIPT") { // Redis restarted, or SCRIPT FLUSH
		if err = putScript.Load(ctx, s.c).Err(); err == nil {
			err = run() // spans already stored are not stored twice
		}
	}
	if err != nil {
		return s.fail("put", err)
	}
	return nil
}

// appendTraceArgs appends putScript's arguments for spans of one trace:
// what they add to its summary, then each span.
func appendTraceArgs(args []any, spans []*Span) ([]any, error) {
	var first, last, root, failed *Span
	fields := map[string]bool{}
	for _, sp := range spans {
		if first == nil || earlier(sp, first) {
			first = sp
		}
		if last == nil || sp.End().After(last.End()) {
			last = sp
		}
		if sp.ParentID == "" && (root == nil || earlier(sp, root)) {
			root = sp
		}
		if sp.Error != "" && (failed == nil || earlier(sp, failed)) {
			failed = sp
		}
		fields["s:"+sp.Service] = true
		fields["o:"+sp.Operation] = true
	}
	fs, end := first.Start.UTC(), last.End().UTC()
	args = append(args, fs.Unix(), fs.Nanosecond(), first.SpanID, first.Service, first.Operation, fs.Format(time.DateOnly),
		end.Unix(), end.Nanosecond())
	if root != nil {
		args = append(args, root.Start.Unix(), root.Start.Nanosecond(), root.SpanID, root.Service, root.Operation, int64(root.Duration))
	} else {
		args = append(args, 0, 0, "", "", "", 0)
	}
	if failed != nil {
		args = append(args, failed.Start.Unix(), failed.Start.Nanosecond(), failed.SpanID, failed.Error)
	} else {
		args = append(args, 0, 0, "", "")
	}
	args = append(args, len(fields))
	for f := range fields {
		args = append(args, f)
	}
	var buf []byte // the spans' JSON, each a piece of it
	for _, sp := range spans {
		start := len(buf)
		var err error
		if buf, err = appendSpanJSON(buf, sp); err != nil {
			return nil, fmt.Errorf("span %s: %w", sp.SpanID, err)
		}
		js := buf[start:len(buf):len(buf)]
		failed := "0"
		if sp.Error != "" {
			failed = "1"
		}
		args = append(args, sp.SpanID, js, failed)
	}
	return args, nil
}

// earlier reports whether a starts before b, or with b and has a lower
// span ID: which span a summary takes its start (and service, operation)
// from.
func earlier(a, b *Span) bool {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c < 0
	}
	return a.SpanID < b.SpanID
}
