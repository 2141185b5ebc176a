package tracestore

import (
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The Redis layout, under a prefix (redisPrefix, "jstrace:"), as the
// lightweight Redis tracer's design:
//
//	spans:<trace>     hash span ID → span JSON; TTL Retention, refreshed by each put
//	trace:<trace>     hash, the trace's summary (fields below); same TTL
//	slow              zset trace → duration (ns), the MaxLimit slowest traces;
//	                  listings' TTLs are the longest Retention of their puts
//	slow:exp          zset trace → expiry (ms since the epoch, Redis's clock) of slow's members
//	recent            zset trace → start (s since the epoch), the recentKeep latest traces
//	errors:<day>      zset trace → start, traces with a failed span that started on
//	                  that UTC day (YYYY-MM-DD); TTL Retention, refreshed by each put
//
// The summary hash's fields: n (spans), ss sn sid (earliest span: start
// seconds, nanoseconds, span ID), fsvc fop (its service, operation), day
// (its UTC day), xs xn (latest end), rs rn rid rsvc rop rd (the root: start,
// span ID, service, operation, duration in ns), e (failed spans), em ems emn
// emid (the earliest failed span's message, start, span ID), and one field
// "s:<service>" and "o:<operation>" per service and operation.
//
// A member of a listing whose summary has expired is skipped by readers
// and removed (pruneScript); slow also drops its expired members on each
// put (slow:exp), so that slow traces of yesterday do not keep today's out
// of the top MaxLimit.
//
// Keys are built inside the scripts (errors:<day>, from the prefix in
// ARGV): the store is for a standalone Redis, not Redis Cluster.

// spanArgs is how many ARGV entries putScript takes per span, after its
// 5 leading ones.
const spanArgs = 12

// putScript stores one trace's spans and updates its summary and the
// listings, atomically: several collectors may put spans of one trace at
// once. A span already stored (same span ID) is left as it was and not
// counted again. It returns how many spans were new.
//
// KEYS: spans:<trace>, trace:<trace>, slow, slow:exp, recent.
// ARGV: retention (ms), slow keep, recent keep, errors key prefix, trace ID,
// then per span: span ID, JSON, "1" for a root else "0", service,
// operation, start s, start ns, end s, end ns, duration ns, start's UTC
// day, error message ("" = succeeded).
var putScript = redis.NewScript(strings.ReplaceAll(`
local ttl, slowKeep, recentKeep, errPrefix, tid = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local names = {'n','ss','sn','sid','fsvc','fop','day','xs','xn','rs','rn','rid','rsvc','rop','rd','e','em','ems','emn','emid'}
local got = redis.call('HMGET', KEYS[2], unpack(names))
local h = {}
for i, k in ipairs(names) do h[k] = got[i] end
local n, e = tonumber(h.n) or 0, tonumber(h.e) or 0
local oldE, oldDay = e, h.day
-- Times are compared as numbers (seconds and nanoseconds each fit a
-- double exactly); durations stay text.
for _, k in ipairs({'ss','sn','xs','xn','rs','rn','ems','emn'}) do h[k] = tonumber(h[k]) end

-- before: is (as, an, aid) earlier than (bs, bn, bid)? Nothing is later
-- than every start.
local function before(as, an, aid, bs, bn, bid)
  if not bs then return true end
  if as ~= bs then return as < bs end
  if an ~= bn then return an < bn end
  return aid < bid
end

-- extend: a listing lives as long as its longest-kept member (collectors
-- sharing a Redis may keep traces for different times).
local function extend(k)
  if redis.call('PTTL', k) < tonumber(ttl) then redis.call('PEXPIRE', k, ttl) end
end

-- The spans not stored yet (and not twice in this batch), stored at once.
local ids = {}
for i = 6, #ARGV, STRIDE do ids[#ids+1] = ARGV[i] end
local have = {}
for c = 1, #ids, 1000 do -- unpack takes a few thousand values at most
  local got = redis.call('HMGET', KEYS[1], unpack(ids, c, math.min(c + 999, #ids)))
  for k = 1, #got do have[c + k - 1] = got[k] end
end
local seen, new, w = {}, {}, {}
for j, id in ipairs(ids) do
  if not have[j] and not seen[id] then
    seen[id] = true
    local i = 6 + (j - 1) * STRIDE
    new[#new+1] = i
    w[#w+1] = id; w[#w+1] = ARGV[i+1]
    if #w >= 1000 then redis.call('HSET', KEYS[1], unpack(w)); w = {} end
  end
end
if #w > 0 then redis.call('HSET', KEYS[1], unpack(w)) end

local added, sets = #new, {}
for _, i in ipairs(new) do
  local id, svc, op = ARGV[i], ARGV[i+3], ARGV[i+4]
  local s, ns = tonumber(ARGV[i+5]), tonumber(ARGV[i+6])
  if before(s, ns, id, h.ss, h.sn, h.sid) then
    h.ss, h.sn, h.sid, h.fsvc, h.fop, h.day = s, ns, id, svc, op, ARGV[i+10]
  end
  local xs, xn = tonumber(ARGV[i+7]), tonumber(ARGV[i+8])
  if not h.xs or xs > h.xs or (xs == h.xs and xn > h.xn) then
    h.xs, h.xn = xs, xn
  end
  if ARGV[i+2] == '1' and before(s, ns, id, h.rs, h.rn, h.rid) then
    h.rs, h.rn, h.rid, h.rsvc, h.rop, h.rd = s, ns, id, svc, op, ARGV[i+9]
  end
  local msg = ARGV[i+11]
  if msg ~= '' then
    e = e + 1
    if before(s, ns, id, h.ems, h.emn, h.emid) then
      h.em, h.ems, h.emn, h.emid = msg, s, ns, id
    end
  end
  sets['s:' .. svc] = '1'
  sets['o:' .. op] = '1'
end

if added > 0 then
  h.n, h.e = n + added, e
  local w = {}
  for _, k in ipairs(names) do
    if h[k] then w[#w+1] = k; w[#w+1] = h[k] end
  end
  for k, v in pairs(sets) do
    w[#w+1] = k; w[#w+1] = v
    if #w >= 1000 then redis.call('HSET', KEYS[2], unpack(w)); w = {} end
  end
  if #w > 0 then redis.call('HSET', KEYS[2], unpack(w)) end
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
if not h.ss then return added end

local dur
if h.rd then dur = tonumber(h.rd)
else dur = (h.xs - h.ss) * 1e9 + (h.xn - h.sn) end
local start = string.format('%.9f', h.ss + h.sn / 1e9)

-- slow: drop expired members, then add this trace unless it is faster
-- than all of a full set, and keep the slowest.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGE', KEYS[4], '-inf', now, 'BYSCORE')
if #gone > 0 then
  redis.call('ZREM', KEYS[3], unpack(gone))
  redis.call('ZREM', KEYS[4], unpack(gone))
end
local over = redis.call('ZCARD', KEYS[3]) + 1 - slowKeep
local fastest = over > 0 and redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if over <= 0 or dur > tonumber(fastest[2]) or redis.call('ZSCORE', KEYS[3], tid) then
  if redis.call('ZADD', KEYS[3], string.format('%.0f', dur), tid) == 0 then over = over - 1 end
  redis.call('ZADD', KEYS[4], now + tonumber(ttl), tid)
  if over > 0 then
    local out = redis.call('ZRANGE', KEYS[3], 0, over - 1)
    redis.call('ZREM', KEYS[3], unpack(out))
    redis.call('ZREM', KEYS[4], unpack(out))
  end
end
extend(KEYS[3])
extend(KEYS[4])

redis.call('ZADD', KEYS[5], start, tid)
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -recentKeep - 1)
extend(KEYS[5])

if e > 0 then
  if oldE > 0 and oldDay and oldDay ~= h.day then
    redis.call('ZREM', errPrefix .. oldDay, tid)
  end
  local k = errPrefix .. h.day
  redis.call('ZADD', k, start, tid)
  extend(k)
end
return added
`, "STRIDE", strconv.Itoa(spanArgs)))

// pruneScript removes from a listing (KEYS[1], and KEYS[2] when given)
// the traces among ARGV[2:] whose summary (ARGV[1] .. trace) no longer
// exists. It checks again, atomically, what a reader found missing, so
// that a trace put again meanwhile stays listed.
var pruneScript = redis.NewScript(`
local n = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    for _, k in ipairs(KEYS) do redis.call('ZREM', k, ARGV[i]) end
    n = n + 1
  end
end
return n
`)
