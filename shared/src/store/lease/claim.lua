-- Claims up to ARGV[3] due items of one lease queue: a partition's job schedule or its webhook
-- delivery queue.
-- KEYS[1]   the queue (zset; score = due time in ms, and while an item is claimed, its lease's end)
-- ARGV[1]   prefix of the item hashes (an item's hash is ARGV[1] .. member)
-- ARGV[2]   lease in ms
-- ARGV[3]   most items to claim
-- ARGV[4]   claim token, unique to this call
-- ARGV[5]   the number n of hash fields to return with each item, named in ARGV[6 .. 5 + n]; the
--           first must be one every item has (a job's `state`, an outbox's `pending`)
-- ARGV[6 + n ..] fallback fields: an older layout of the same items, read when the first field is
--           missing and returned after the n (missing) values; when the first of them is missing
--           too (or there are none), the item is gone
-- Returns {now_ms, next_due_ms or -1, member, late_ms, k, value 1 .. value k, member, ...}: flat,
-- because Redis inspects every table in a script's reply for special keys (err, ok, map, ...), a
-- cost per claimed item. next_due is the earliest score left in the queue after a claim that took
-- fewer than ARGV[3] items (-1 after a full one), so an idle worker knows how long to sleep. late_ms
-- is how long the item had been due when claimed (the claim lateness metric).
-- Invariant: a claimed item never leaves its queue. Its score moves to now + lease (the lease's end)
-- and its hash's `claim` is stamped with the token, so a dead worker's items fall due again by
-- themselves (no reaper), and every later write checks the token (fencing). A claim is live while
-- `claim` is a token (not absent, not '') and the score lies in the future.
local now, now_text = now_ms()
-- Formatted once: a Lua number handed to redis.call is formatted anew on every use.
local lease_end = int_text(now + tonumber(ARGV[2]))
local limit, n = tonumber(ARGV[3]), tonumber(ARGV[5])
-- Member, score, member, score, ...
local due = redis.call('ZRANGE', KEYS[1], '-inf', now_text, 'BYSCORE', 'LIMIT', '0', ARGV[3],
  'WITHSCORES')
local fields, fallback = {}, {}
for i = 6, 5 + n do fields[#fields + 1] = ARGV[i] end
for i = 6 + n, #ARGV do fallback[#fallback + 1] = ARGV[i] end
local out, n_out = {now, -1}, 2
local leased, n_leased = {}, 0
local has_fields = #fields > 0
for d = 1, #due, 2 do
  local member = due[d]
  local key = ARGV[1] .. member
  local values, present
  if has_fields then
    if n == 1 then
      -- One field: HGET answers with a string, where HMGET's answer is one more table to build.
      present = redis.call('HGET', key, fields[1])
      values = {present}
    else
      values = redis.call('HMGET', key, unpack(fields))
      present = values[1]
    end
    if not present and #fallback > 0 then
      local older = redis.call('HMGET', key, unpack(fallback))
      present = older[1]
      for _, value in ipairs(older) do values[#values + 1] = value end
    end
  else
    values, present = {}, redis.call('EXISTS', key) == 1
  end
  if present then
    leased[n_leased + 1] = lease_end
    leased[n_leased + 2] = member
    n_leased = n_leased + 2
    redis.call('HSET', key, 'claim', ARGV[4])
    local k = #values
    out[n_out + 1] = member
    out[n_out + 2] = now - tonumber(due[d + 1])
    out[n_out + 3] = k
    for j = 1, k do out[n_out + 3 + j] = values[j] end
    n_out = n_out + 3 + k
  else
    -- The item's hash is gone (deleted or expired): nothing to do for it, ever.
    redis.call('ZREM', KEYS[1], member)
  end
end
call_in_slices('ZADD', KEYS[1], nil, leased)
-- A full claim leaves the caller busy: only a short one needs to know when to look again.
if #due < 2 * limit then
  local first = redis.call('ZRANGE', KEYS[1], '0', '0', 'WITHSCORES')
  if first[2] then out[2] = tonumber(first[2]) end
end
return out
