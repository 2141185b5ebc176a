package tracestore

import "github.com/redis/go-redis/v9"

// The Redis layout, under a prefix (redisPrefix, "jstrace:"), as the
// lightweight Redis tracer's design:
//
//	spans:<trace>     hash span ID → span JSON; TTL Retention, refreshed by each put
//	trace:<trace>     hash, the trace's summary (fields below); same TTL
//	slow              zset trace → duration (ns), the MaxLimit slowest traces
//	slow:exp          zset trace → expiry (ms since the epoch, Redis's clock) of slow's members
//	recent            zset trace → start (s since the epoch), the recentKeep latest traces
//	errors:<day>      zset trace → start, traces with a failed span that started on
//	                  that UTC day (YYYY-MM-DD)
//
// A listing's TTL is the longest Retention of the puts that touched it
// (collectors sharing a Redis may keep traces for different times).
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

// putScript stores spans of one or more traces, updates their summaries
// and the listings, atomically: several collectors may put spans of one
// trace at once. A span already stored (same span ID) is left as it was
// and not counted again. It returns how many spans were new.
//
// What a batch adds to a summary besides counts (earliest span, latest
// end, root, earliest error, services and operations) is computed by the
// client over the batch's spans of the trace (appendTraceArgs); merging it is
// right whether or not some of those spans were stored already, as long
// as a span put again is the same span. Only counts need to know which
// spans are new, so the script handles three values per span.
//
// KEYS: slow, slow:exp, recent, then per trace spans:<trace>, trace:<trace>.
// ARGV: retention (ms), slow keep, recent keep, errors key prefix, then
// per trace: its ID, its number of spans, appendTraceArgs's 18 values, the
// number of summary fields to set, those fields ("s:<service>",
// "o:<operation>"), and per span its ID, JSON and "1" if it failed else "0".
var putScript = redis.NewScript(`
local ttl, slowKeep, recentKeep, errPrefix = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local names = {'n','ss','sn','sid','fsvc','fop','day','xs','xn','rs','rn','rid','rsvc','rop','rd','e','em','ems','emn','emid'}
-- Times are compared as numbers (seconds and nanoseconds each fit a
-- double exactly); durations stay text.
local numeric = {'ss','sn','xs','xn','rs','rn','ems','emn'}

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
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end

-- hset sets fields (name, value, name, value, ...), a few hundred at a
-- time: unpack takes a few thousand values at most.
local function hset(key, w)
  for c = 1, #w, 512 do
    redis.call('HSET', key, unpack(w, c, math.min(c + 511, #w)))
  end
end

-- putTrace stores the new spans of the trace whose arguments start at
-- ARGV[a] and updates its summary. It returns how many spans were new,
-- the summary, the trace's error count and day before, and where the next
-- trace's arguments start.
local function putTrace(spansKey, sumKey, a)
  local count, g = tonumber(ARGV[a+1]), a + 2
  local nf = tonumber(ARGV[g+18])
  local f0 = g + 19
  local s0 = f0 + nf
  local got = redis.call('HMGET', sumKey, unpack(names))
  local h = {}
  for i, k in ipairs(names) do h[k] = got[i] end
  for _, k in ipairs(numeric) do h[k] = tonumber(h[k]) end
  local e = tonumber(h.e) or 0
  local oldE, oldDay = e, h.day

  -- The spans not stored yet (and not twice in this batch), stored at once.
  local ids = {}
  for j = 0, count - 1 do ids[#ids+1] = ARGV[s0 + j * 3] end
  local have = {}
  if h.n then -- a trace seen before: which of its spans are stored
    for c = 1, #ids, 512 do
      local r = redis.call('HMGET', spansKey, unpack(ids, c, math.min(c + 511, #ids)))
      for k = 1, #r do have[c + k - 1] = r[k] end
    end
  end
  local seen, added, w = {}, 0, {}
  for j, id in ipairs(ids) do
    if not have[j] and not seen[id] then
      seen[id] = true
      local i = s0 + (j - 1) * 3
      added = added + 1
      if ARGV[i+2] == '1' then e = e + 1 end
      w[#w+1] = id; w[#w+1] = ARGV[i+1]
    end
  end

  if added > 0 then
    hset(spansKey, w)
    local fs, fn, fid = tonumber(ARGV[g]), tonumber(ARGV[g+1]), ARGV[g+2]
    if before(fs, fn, fid, h.ss, h.sn, h.sid) then
      h.ss, h.sn, h.sid, h.fsvc, h.fop, h.day = fs, fn, fid, ARGV[g+3], ARGV[g+4], ARGV[g+5]
    end
    local xs, xn = tonumber(ARGV[g+6]), tonumber(ARGV[g+7])
    if not h.xs or xs > h.xs or (xs == h.xs and xn > h.xn) then
      h.xs, h.xn = xs, xn
    end
    local rid = ARGV[g+10]
    if rid ~= '' then
      local rs, rn = tonumber(ARGV[g+8]), tonumber(ARGV[g+9])
      if before(rs, rn, rid, h.rs, h.rn, h.rid) then
        h.rs, h.rn, h.rid, h.rsvc, h.rop, h.rd = rs, rn, rid, ARGV[g+11], ARGV[g+12], ARGV[g+13]
      end
    end
    local eid = ARGV[g+16]
    if eid ~= '' then
      local es, en = tonumber(ARGV[g+14]), tonumber(ARGV[g+15])
      if before(es, en, eid, h.ems, h.emn, h.emid) then
        h.em, h.ems, h.emn, h.emid = ARGV[g+17], es, en, eid
      end
    end
    h.n, h.e = (tonumber(h.n) or 0) + added, e
    w = {}
    for _, k in ipairs(names) do
      if h[k] then w[#w+1] = k; w[#w+1] = h[k] end
    end
    for i = f0, s0 - 1 do w[#w+1] = ARGV[i]; w[#w+1] = '1' end
    hset(sumKey, w)
  end
  redis.call('PEXPIRE', spansKey, ttl)
  redis.call('PEXPIRE', sumKey, ttl)
  return added, h, oldE, oldDay, s0 + count * 3
end

local added, traces = 0, {}
local a, k = 5, 4
while a <= #ARGV do
  local tid = ARGV[a]
  local n, h, oldE, oldDay, next = putTrace(KEYS[k], KEYS[k+1], a)
  added = added + n
  if h.ss then
    local t = {tid = tid, e = h.e and tonumber(h.e) or 0, oldE = oldE, oldDay = oldDay, day = h.day}
    if h.rd then t.dur = tonumber(h.rd)
    else t.dur = (h.xs - h.ss) * 1e9 + (h.xn - h.sn) end
    t.start = string.format('%.9f', h.ss + h.sn / 1e9)
    traces[#traces+1] = t
  end
  a, k = next, k + 2
end
if #traces == 0 then return added end

-- slow: drop expired members, then add each trace unless it is faster
-- than all of a full set, and keep the slowest.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local gone = redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE')
for c = 1, #gone, 512 do
  redis.call('ZREM', KEYS[1], unpack(gone, c, math.min(c + 511, #gone)))
  redis.call('ZREM', KEYS[2], unpack(gone, c, math.min(c + 511, #gone)))
end
local card = redis.call('ZCARD', KEYS[1])
local fastest = nil -- the lowest duration of a full set
for _, t in ipairs(traces) do
  if card >= slowKeep and not fastest then
    fastest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  end
  if card < slowKeep or t.dur > fastest or redis.call('ZSCORE', KEYS[1], t.tid) then
    card = card + redis.call('ZADD', KEYS[1], string.format('%.0f', t.dur), t.tid)
    redis.call('ZADD', KEYS[2], now + ttl, t.tid)
    if card > slowKeep then
      local out = redis.call('ZRANGE', KEYS[1], 0, card - slowKeep - 1)
      redis.call('ZREM', KEYS[1], unpack(out))
      redis.call('ZREM', KEYS[2], unpack(out))
      card = slowKeep
    end
    fastest = nil
  end
end
extend(KEYS[1])
extend(KEYS[2])

-- recent, and errors per day.
local w, days = {}, {}
for _, t in ipairs(traces) do
  w[#w+1] = t.start; w[#w+1] = t.tid
  if t.e > 0 then
    if t.oldE > 0 and t.oldDay and t.oldDay ~= t.day then
      redis.call('ZREM', errPrefix .. t.oldDay, t.tid)
    end
    local d = days[t.day] or {}
    d[#d+1] = t.start; d[#d+1] = t.tid
    days[t.day] = d
  end
end
for c = 1, #w, 512 do
  redis.call('ZADD', KEYS[3], unpack(w, c, math.min(c + 511, #w)))
end
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -recentKeep - 1)
extend(KEYS[3])
for day, d in pairs(days) do
  local key = errPrefix .. day
  for c = 1, #d, 512 do
    redis.call('ZADD', key, unpack(d, c, math.min(c + 511, #d)))
  end
  extend(key)
end
return added
`)

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
