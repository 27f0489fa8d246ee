-- Shared prelude of every script (prepended when scripts are loaded): the one clock, and helpers.
-- Due times are always Redis TIME in milliseconds, never a client's clock.
-- Numbers go back to Redis as text made by int_text: Redis formats a Lua number handed to
-- redis.call with "%.17g", and tostring and `..` with "%.14g" — each about ten times the cost of
-- "%d" (W1 in BENCHMARKS.md).

-- Now in ms: the number, and the same as text (seconds, then the first three of the six
-- microsecond digits: no number is formatted).
local function now_ms()
  local t = redis.call('TIME')
  local us = t[2]
  local text = t[1] .. string.sub(string.rep('0', 6 - #us) .. us, 1, 3)
  return tonumber(text), text
end

-- A whole number as text.
local function int_text(n)
  return string.format('%d', n)
end

-- Calls `command key [option] items...` in slices: Lua's unpack can spread at most ~8,000 values
-- (LUAI_MAXCSTACK), so a long list goes to Redis a thousand values at a time. `option` may be nil.
local function call_in_slices(command, key, option, items)
  local n = #items
  for first = 1, n, 1000 do
    local last = math.min(first + 999, n)
    if option then
      redis.call(command, key, option, unpack(items, first, last))
    else
      redis.call(command, key, unpack(items, first, last))
    end
  end
end

-- The rolling per-minute series beside a counters hash (the dashboard's charts of the last hour):
-- `<counters>:m:<minutes since the epoch>` counts what entered each of its fields in that minute,
-- and lives two hours. O(1): one HINCRBY, and an EXPIRE only when the field is new (a field that
-- was there means a key whose lifetime is set). `n` is text, a positive count.
local function count_in_minute(counters, now, field, n)
  local key = counters .. ':m:' .. int_text(math.floor(now / 60000))
  if redis.call('HINCRBY', key, field, n) == tonumber(n) then
    redis.call('EXPIRE', key, '7200')
  end
end

-- Whether a job status (a state's first word) is final.
local FINAL = {completed = true, failed = true, timeout = true, cancelled = true}

-- Marks a cancellation requested in the job hash `key`'s state (`PollState` in
-- shared/src/job/state.rs): '!' after the sixth word, the own-webhook flag (with its failure
-- streak). The words before the video never hold a space; the video, last, may.
local function mark_cancel(key)
  local state = redis.call('HGET', key, 'state')
  if not state then return end
  local head, flag, video = string.match(state, '^(%S+ %S+ %S+ %S+ %S+ )(%S+)(.*)$')
  if flag and string.sub(flag, -1) ~= '!' then
    redis.call('HSET', key, 'state', head .. flag .. '!' .. video)
  end
end

-- Lets go of dead letters older than `keep_ms` (their hashes expired with the same TTL): takes
-- their members out of the set `set` and their count off the counter hash `counters`, at most
-- `limit` at a time. Returns how many went.
local function trim_dead_letters(set, counters, keep_ms, now, limit)
  local old = redis.call('ZRANGE', set, '-inf', int_text(now - keep_ms), 'BYSCORE', 'LIMIT', '0',
    int_text(limit))
  if #old == 0 then return 0 end
  call_in_slices('ZREM', set, nil, old)
  redis.call('HINCRBY', counters, 'dead_letters', int_text(-#old))
  return #old
end
