-- The breaker's transitions on Redis: patterns/breaker/_transitions.py, step for step.
--
-- One call of this script is one atomic step of one named breaker, so every process
-- that shares the breaker sees one state: Redis runs a script to its end before any
-- other command. Keep it in step with _transitions.py; the differential test compares
-- the two decision by decision.
--
-- KEYS[1]  resilience:{name}:breaker      a hash: the record, the window's ring, counters
-- KEYS[2]  resilience:{name}:transitions  a list of the recent transitions, newest first
-- ARGV[1]  the step: acquire, record, release, view, force_open, reset
-- ARGV[2]  the time in seconds, or "" to read the server's TIME (always, but in tests)
-- ARGV[3]  idle expiry of both keys, in milliseconds
-- ARGV[4..12] the configuration: failure_threshold, failure_rate_threshold, window_size,
--          minimum_calls, slow_call_duration, slow_call_rate_threshold, open_for,
--          half_open_max_calls, half_open_max_wait ("" for off)
-- ARGV[13..] the step's input: record: permit, failure ("" if it won), slow (1 or 0);
--          release: permit; force_open, reset: the reason
--
-- The reply: { permit or -1, retry_in or "", created (1 if the keys were missing), now,
-- the record's fields, born (when this breaker was made), then four items per change:
-- from, to, at, reason }.
-- Numbers that are not whole travel as text with 17 digits: a Lua number returned to
-- Redis would be cut to an integer.

local KEEP_TRANSITIONS = 20
local MAX_STORED_COUNT = 9223372036854775807

local function num(text)
  if text == nil or text == '' then return nil end
  return tonumber(text)
end

local function real(x)
  if x == nil then return '' end
  return string.format('%.17g', x)
end

local function whole(n)
  return string.format('%d', n)
end

-- Python's f"{x:g}" and f"{x:.0%}".
local function g(x) return string.format('%g', x) end
local function pct(x) return string.format('%.0f%%', x * 100) end

local step = ARGV[1]
local now = num(ARGV[2])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local idle_ms = ARGV[3]
local config = {
  failure_threshold = num(ARGV[4]),
  failure_rate_threshold = num(ARGV[5]),
  window_size = tonumber(ARGV[6]),
  minimum_calls = tonumber(ARGV[7]),
  slow_call_duration = num(ARGV[8]),
  slow_call_rate_threshold = tonumber(ARGV[9]),
  open_for = tonumber(ARGV[10]),
  half_open_max_calls = tonumber(ARGV[11]),
  half_open_max_wait = num(ARGV[12]),
}

-- The record ------------------------------------------------------------------------

local FIELDS = {
  'state', 'epoch', 'consecutive_failures', 'calls', 'failures', 'slow', 'opened_at',
  'open_for', 'half_open_since', 'probes_admitted', 'probes_succeeded', 'outcomes',
  'stale', 'size', 'head', 'ring', 'born',
}

local stored = redis.call('HMGET', KEYS[1], unpack(FIELDS))
local created = 0
local r = {}
if stored[1] then
  r.state = stored[1]
  r.epoch = tonumber(stored[2])
  r.consecutive_failures = tonumber(stored[3])
  r.calls = tonumber(stored[4])
  r.failures = tonumber(stored[5])
  r.slow = tonumber(stored[6])
  r.opened_at = num(stored[7])
  r.open_for = tonumber(stored[8])
  r.half_open_since = num(stored[9])
  r.probes_admitted = tonumber(stored[10])
  r.probes_succeeded = tonumber(stored[11])
  r.outcomes = tonumber(stored[12])
  r.stale = tonumber(stored[13])
  r.size = tonumber(stored[14])
  r.head = tonumber(stored[15])
  r.ring = stored[16]
  r.born = stored[17] or '0'
else
  -- Missing: never used, or lost (flushed, evicted, a restart without persistence).
  -- A fresh CLOSED breaker, in an epoch no permit handed out before the loss can match.
  created = 1
  r.state = 'closed'
  r.epoch = math.floor(now * 1000000)
  -- When it was made: a process that saw another birth knows the breaker was lost.
  r.born = whole(r.epoch)
  r.consecutive_failures = 0
  r.calls, r.failures, r.slow = 0, 0, 0
  r.open_for = config.open_for
  r.probes_admitted, r.probes_succeeded = 0, 0
  r.outcomes, r.stale = 0, 0
  r.size, r.head = config.window_size, 0
  r.ring = string.rep('0', config.window_size)
end

-- The window: a ring of marks ('0' ok, '1' failed, '2' slow, '3' slow failure), the
-- oldest at `head`, with its running totals in the record.

local function marks()
  local out = {}
  for i = 0, r.calls - 1 do
    local at = (r.head + i) % r.size
    out[#out + 1] = tonumber(string.sub(r.ring, at + 1, at + 1))
  end
  return out
end

local function window_add(mark)
  local at
  if r.calls == r.size then
    at = r.head
    local evicted = tonumber(string.sub(r.ring, at + 1, at + 1))
    r.failures = r.failures - evicted % 2
    r.slow = r.slow - math.floor(evicted / 2)
    r.head = (r.head + 1) % r.size
  else
    at = (r.head + r.calls) % r.size
    r.calls = r.calls + 1
  end
  r.ring = string.sub(r.ring, 1, at) .. mark .. string.sub(r.ring, at + 2)
  r.failures = r.failures + mark % 2
  r.slow = r.slow + math.floor(mark / 2)
end

local function window_clear()
  r.calls, r.failures, r.slow, r.head = 0, 0, 0, 0
end

if r.size ~= config.window_size then
  -- Another window size than the one stored: keep the newest calls that fit, as a
  -- breaker restored from a file with another window does.
  local kept = marks()
  r.size, r.head = config.window_size, 0
  r.ring = string.rep('0', config.window_size)
  window_clear()
  for i = math.max(1, #kept - config.window_size + 1), #kept do
    window_add(kept[i])
  end
end

-- The rules (_rules.py) -----------------------------------------------------------------

local function over(calls)
  return 'over ' .. whole(calls) .. ' calls, minimum ' .. whole(config.minimum_calls) .. ' met'
end

local function rate_reason(calls, failures, slow)
  if calls < config.minimum_calls then return nil end
  local threshold = config.failure_rate_threshold
  if threshold ~= nil then
    local rate = failures / calls
    if rate >= threshold then
      return 'failure rate ' .. pct(rate) .. ' >= ' .. pct(threshold) .. ' ' .. over(calls)
    end
  end
  if config.slow_call_duration ~= nil then
    local slow_rate = slow / calls
    if slow_rate >= config.slow_call_rate_threshold then
      return 'slow-call rate ' .. pct(slow_rate) .. ' >= '
        .. pct(config.slow_call_rate_threshold) .. ' (calls over '
        .. g(config.slow_call_duration) .. 's) ' .. over(calls)
    end
  end
  return nil
end

local function trip_reason()
  local threshold = config.failure_threshold
  if threshold ~= nil and r.consecutive_failures >= threshold then
    return whole(r.consecutive_failures) .. ' consecutive failures >= threshold '
      .. whole(threshold)
  end
  return rate_reason(r.calls, r.failures, r.slow)
end

local function open_remaining(opened_at, open_for)
  return math.min(open_for, math.max(0, open_for - (now - opened_at)))
end

-- The steps (_transitions.py) -------------------------------------------------------------

local changes = {}
local changed = false

local function move(to_state, at, reason)
  changes[#changes + 1] = { r.state, to_state, at, reason }
  r.state = to_state
  r.epoch = r.epoch + 1
end

local function open(at, reason)
  r.opened_at = at
  r.open_for = config.open_for
  move('open', at, reason)
end

local function make_due()
  local max_wait = config.half_open_max_wait
  local since = r.half_open_since
  if r.state == 'half_open' and max_wait ~= nil and since ~= nil and now - since >= max_wait then
    open(since + max_wait, 'half-open ' .. g(max_wait) .. 's since the first probe >= max '
      .. g(max_wait) .. 's with ' .. whole(r.probes_admitted - r.probes_succeeded)
      .. ' probe(s) outstanding, so OPEN')
  end
  local opened_at = r.opened_at
  if r.state == 'open' and opened_at ~= nil and now - opened_at >= r.open_for then
    move('half_open', now, 'open for ' .. g(r.open_for) .. 's, so HALF_OPEN with '
      .. whole(config.half_open_max_calls) .. ' probe(s)')
    r.half_open_since = nil
    r.probes_admitted, r.probes_succeeded = 0, 0
  end
end

-- Returns the permit, or -1 and the seconds until half-open (or nil).
local function admit()
  if r.state ~= 'closed' then make_due() end
  local state = r.state
  if state == 'closed' then return r.epoch, nil end
  changed = true
  if state == 'half_open' then
    if r.probes_admitted < config.half_open_max_calls then
      r.probes_admitted = r.probes_admitted + 1
      if r.half_open_since == nil then r.half_open_since = now end
      return r.epoch, nil
    end
    return -1, nil
  end
  if state == 'open' and r.opened_at ~= nil then
    return -1, open_remaining(r.opened_at, r.open_for)
  end
  return -1, nil
end

local function count_probe(failure, slow)
  if failure ~= nil then
    open(now, 'half-open probe failed (' .. failure .. '), so OPEN')
  elseif slow then
    open(now, 'half-open probe slower than ' .. g(config.slow_call_duration) .. 's, so OPEN')
  else
    r.probes_succeeded = r.probes_succeeded + 1
    local wanted = config.half_open_max_calls
    if r.probes_succeeded >= wanted then
      move('closed', now, whole(r.probes_succeeded) .. ' of ' .. whole(wanted)
        .. ' half-open probes succeeded, so CLOSED')
      r.consecutive_failures = 0
      window_clear()
      r.opened_at = nil
    end
  end
end

local function count(permit, failure, slow)
  changed = true
  r.outcomes = r.outcomes + 1
  if permit ~= r.epoch then
    r.stale = r.stale + 1
    return
  end
  local state = r.state
  if state == 'closed' then
    local mark = 0
    if failure ~= nil then mark = 1 end
    if slow then mark = mark + 2 end
    window_add(mark)
    if failure == nil then
      r.consecutive_failures = 0
      if not slow then
        if r.failures > 0 or r.slow > 0 then
          local reason = rate_reason(r.calls, r.failures, r.slow)
          if reason ~= nil then open(now, reason .. ', so OPEN') end
        end
        return
      end
    else
      r.consecutive_failures = math.min(r.consecutive_failures + 1, MAX_STORED_COUNT)
    end
    local reason = trip_reason()
    if reason ~= nil then open(now, reason .. ', so OPEN') end
  elseif state == 'half_open' then
    make_due()
    if permit == r.epoch then count_probe(failure, slow) end
  end
end

local function give_back(permit)
  if permit == r.epoch and r.state == 'half_open' and r.probes_admitted > r.probes_succeeded then
    changed = true
    r.probes_admitted = r.probes_admitted - 1
    if r.probes_admitted == 0 then r.half_open_since = nil end
  end
end

local function force_open(reason)
  changed = true
  r.opened_at = now
  move('forced_open', now, reason)
end

local function reset(reason)
  changed = true
  r.consecutive_failures = 0
  window_clear()
  r.opened_at = nil
  if r.state == 'closed' then
    r.epoch = r.epoch + 1
  else
    move('closed', now, reason)
  end
end

-- The step asked for ------------------------------------------------------------------

local permit, retry_in = -1, nil
if step == 'acquire' then
  permit, retry_in = admit()
elseif step == 'record' then
  local failure = ARGV[14]
  if failure == '' then failure = nil end
  count(tonumber(ARGV[13]), failure, ARGV[15] == '1')
elseif step == 'release' then
  give_back(tonumber(ARGV[13]))
elseif step == 'view' then
  if r.state ~= 'closed' then make_due() end
elseif step == 'force_open' then
  force_open(ARGV[13])
elseif step == 'reset' then
  reset(ARGV[13])
else
  return redis.error_reply('unknown step ' .. tostring(step))
end
if #changes > 0 then changed = true end

-- A look at a breaker that was never used leaves no keys behind.
if changed or (created == 1 and step ~= 'view') then
  redis.call('HSET', KEYS[1],
    'state', r.state, 'epoch', whole(r.epoch),
    'consecutive_failures', whole(r.consecutive_failures),
    'calls', whole(r.calls), 'failures', whole(r.failures), 'slow', whole(r.slow),
    'opened_at', real(r.opened_at), 'open_for', real(r.open_for),
    'half_open_since', real(r.half_open_since),
    'probes_admitted', whole(r.probes_admitted), 'probes_succeeded', whole(r.probes_succeeded),
    'outcomes', whole(r.outcomes), 'stale', whole(r.stale),
    'size', whole(r.size), 'head', whole(r.head), 'ring', r.ring, 'born', r.born)
  for _, change in ipairs(changes) do
    redis.call('LPUSH', KEYS[2], cjson.encode({
      from = change[1], to = change[2], at = real(change[3]), reason = change[4],
    }))
  end
  if #changes > 0 then redis.call('LTRIM', KEYS[2], 0, KEEP_TRANSITIONS - 1) end
  redis.call('PEXPIRE', KEYS[1], idle_ms)
  redis.call('PEXPIRE', KEYS[2], idle_ms)
end

local reply = {
  whole(permit), real(retry_in), created, real(now),
  r.state, whole(r.epoch), whole(r.consecutive_failures),
  whole(r.calls), whole(r.failures), whole(r.slow),
  real(r.opened_at), real(r.open_for), real(r.half_open_since),
  whole(r.probes_admitted), whole(r.probes_succeeded), whole(r.outcomes), whole(r.stale),
  r.born,
}
for _, change in ipairs(changes) do
  reply[#reply + 1] = change[1]
  reply[#reply + 1] = change[2]
  reply[#reply + 1] = real(change[3])
  reply[#reply + 1] = change[4]
end
return reply
