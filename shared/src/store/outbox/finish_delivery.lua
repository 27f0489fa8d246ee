-- Records the outcome of one delivery attempt of the head event of a job's outbox.
-- KEYS[1] delivery queue (zset of job ids)   KEYS[2] the job's outbox hash
-- KEYS[3] dead-letter set (zset)   KEYS[4] partition counters
-- ARGV[1] job id   ARGV[2] claim token   ARGV[3] the event's sequence number
-- ARGV[4] 'ok' (delivered), 'retry' (try again after ARGV[5] ms) or 'dead' (give up)
-- ARGV[5] retry delay in ms   ARGV[6] prefix of dead-letter hashes   ARGV[7] last error
-- ARGV[8] seconds a dead letter (and the attempt log) is kept
-- ARGV[9] the attempt's log entry (JSON)   KEYS[5] the job's attempt log (list)
-- ARGV[10] '1' when the retry delay is the receiver's own (Retry-After): it is kept as the
--          outbox's `hold`, which an event superseding the head respects too
-- KEYS[6] the partition's failing endpoints (hash: endpoint -> '<first ms> <last ms> <failures>
--         <tenant or -> <error>'; it lives an hour after its latest failure)
-- ARGV[11] the endpoint as logs show it (origin and hash; '' when there was none, or when a
--          delivery that followed no failure of this outbox cannot end a failing streak)
-- ARGV[12] what went wrong (a failed attempt)
-- ARGV[13] prefix of tenants' counters   ARGV[14] prefix of tenants' dead-letter sets (a tenant's
--          event is counted for it too, and its dead letter indexed for it: what it lists and
--          counts; the outbox's `tenant` names the owner)
-- Returns 1, or 0 when the claim was lost (nothing changed).
-- Invariant: a job's events leave its outbox in order, delivered or dead-lettered; the job stays
-- in the delivery queue exactly while its outbox holds an event.
if redis.call('HGET', KEYS[2], 'claim') ~= ARGV[2] then return 0 end
local now, now_text = now_ms()
local tenant = redis.call('HGET', KEYS[2], 'tenant')
-- The minute's series, the partition's and the owner's: attempts that delivered, and those that
-- failed (retried or given up).
local attempt = ARGV[4] == 'ok' and 'delivered' or 'delivery_failures'
count_in_minute(KEYS[4], now, attempt, '1')
if tenant then count_in_minute(ARGV[13] .. tenant, now, attempt, '1') end
-- Endpoints failing now: a failure marks its endpoint (since when, how often) and the outbox
-- (`failed`); a delivery from an outbox so marked clears both. Deliveries that follow no failure
-- skip this (the worker passes no endpoint): the hot path pays nothing for it.
if ARGV[11] ~= '' then
  if ARGV[4] == 'ok' then
    redis.call('HDEL', KEYS[6], ARGV[11])
    redis.call('HDEL', KEYS[2], 'failed')
  else
    redis.call('HSET', KEYS[2], 'failed', '1')
    local first, failures = now_text, 1
    local seen = redis.call('HGET', KEYS[6], ARGV[11])
    if seen then
      local since, _, count = string.match(seen, '^(%d+) (%d+) (%d+)')
      if since then first, failures = since, tonumber(count) + 1 end
    end
    redis.call('HSET', KEYS[6], ARGV[11],
      first .. ' ' .. now_text .. ' ' .. int_text(failures) .. ' ' .. (tenant or '-') .. ' ' .. ARGV[12])
    redis.call('EXPIRE', KEYS[6], '3600')
  end
end
if ARGV[9] ~= '' then
  redis.call('RPUSH', KEYS[5], ARGV[9])
  redis.call('LTRIM', KEYS[5], '-200', '-1')
  redis.call('EXPIRE', KEYS[5], ARGV[8])
end
local seq = ARGV[3]
local rest, present = {}, false
for pending in string.gmatch(redis.call('HGET', KEYS[2], 'pending') or '', '%d+') do
  if pending == seq then present = true else rest[#rest + 1] = pending end
end
redis.call('HDEL', KEYS[2], 'claim')
if ARGV[4] == 'retry' and present then
  local due = int_text(now + tonumber(ARGV[5]))
  redis.call('HINCRBY', KEYS[2], 'attempts', '1')
  if ARGV[10] == '1' then
    redis.call('HSET', KEYS[2], 'hold', due)
  else
    redis.call('HDEL', KEYS[2], 'hold')
  end
  redis.call('ZADD', KEYS[1], due, ARGV[1])
  return 1
end
if present then
  if ARGV[4] == 'dead' then
    -- Room first: dead letters that expired leave the set and the count.
    local keep_ms = tonumber(ARGV[8]) * 1000
    trim_dead_letters(KEYS[3], KEYS[4], keep_ms, now, 100)
    local member = ARGV[1] .. ':' .. seq
    local dead = ARGV[6] .. member
    local outbox = redis.call('HMGET', KEYS[2], 'attempts', 'e:' .. seq, 'c:' .. seq, 'url')
    local attempts = tonumber(outbox[1] or '0') + 1
    -- With its route (the job's own URL, its tenant), so a recovery sends it as the original went.
    local route = {}
    if outbox[4] then route[#route + 1] = 'url'; route[#route + 1] = outbox[4] end
    if tenant then route[#route + 1] = 'tenant'; route[#route + 1] = tenant end
    redis.call('HSET', dead, 'job', ARGV[1], 'seq', seq, 'body', outbox[2], 'created', outbox[3],
      'died', now_text, 'attempts', int_text(attempts), 'error', ARGV[7], unpack(route))
    redis.call('EXPIRE', dead, ARGV[8])
    redis.call('ZADD', KEYS[3], now_text, member)
    redis.call('HINCRBY', KEYS[4], 'dead_letters', '1')
    count_in_minute(KEYS[4], now, 'dead_letters', '1')
    if tenant then
      -- The owner's index of its dead letters: the expired leave it as one joins, and it goes
      -- whole when its newest letter expires. Its count is read within the keeping window.
      local own = ARGV[14] .. tenant
      redis.call('ZADD', own, now_text, member)
      redis.call('ZREMRANGEBYSCORE', own, '-inf', int_text(now - keep_ms))
      redis.call('EXPIRE', own, ARGV[8])
      count_in_minute(ARGV[13] .. tenant, now, 'dead_letters', '1')
    end
  end
  redis.call('HDEL', KEYS[2], 'e:' .. seq, 's:' .. seq, 'c:' .. seq)
  redis.call('HSET', KEYS[2], 'attempts', '0')
  redis.call('HDEL', KEYS[2], 'hold')
end
if #rest == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2])
else
  redis.call('HSET', KEYS[2], 'pending', table.concat(rest, ' '))
  redis.call('ZADD', KEYS[1], now_text, ARGV[1])
end
return 1
