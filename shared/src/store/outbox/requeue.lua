-- Puts a past event of a job back in its outbox, due now: a redelivery asked for by an operator,
-- or the recovery of a dead letter. The event goes out as the original did: to the same URL,
-- signed for the same tenant (both kept with the event history and the dead letter).
-- KEYS[1] delivery queue   KEYS[2] the job's outbox   KEYS[3] the job's event history
-- KEYS[4] dead-letter set   KEYS[5] the event's dead-letter hash   KEYS[6] partition counters
-- KEYS[7] the job's hash (the route of events stored before the history kept it)
-- ARGV[1] job id   ARGV[2] sequence number   ARGV[3] '1' to take it out of the dead letters
-- ARGV[4] prefix of tenants' dead-letter sets (the owner's index leaves it too)
-- Returns 1, 0 when the event is unknown (expired), 2 when it is already waiting in the outbox.
local seq = ARGV[2]
local member = ARGV[1] .. ':' .. seq
-- Out of the dead letters first: an expired one leaves nothing behind either.
if ARGV[3] == '1' and redis.call('ZREM', KEYS[4], member) == 1 then
  redis.call('HINCRBY', KEYS[6], 'dead_letters', '-1')
end
local route = redis.call('HMGET', KEYS[3], 'e:' .. seq, 'url', 'tenant')
local body, url, tenant = route[1], route[2], route[3]
local dead = redis.call('HMGET', KEYS[5], 'body', 'url', 'tenant')
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[5])
  local owner = tenant or dead[3]
  if owner then redis.call('ZREM', ARGV[4] .. owner, member) end
end
if not body then body, url, tenant = dead[1], dead[2], dead[3] end
if not body then return 0 end
if not url and not tenant then
  local job = redis.call('HMGET', KEYS[7], 'webhook_url', 'tenant')
  url, tenant = job[1], job[2]
end
local now = select(2, now_ms())
local pending = redis.call('HGET', KEYS[2], 'pending') or ''
for p in string.gmatch(pending, '%d+') do
  if p == seq then return 2 end
end
local joined = pending == '' and seq or (pending .. ' ' .. seq)
-- A replayed event is kept like a status change: a newer event does not supersede it.
redis.call('HSET', KEYS[2], 'pending', joined, 'e:' .. seq, body, 's:' .. seq, '1', 'c:' .. seq, now)
if url then redis.call('HSET', KEYS[2], 'url', url) end
if tenant then redis.call('HSET', KEYS[2], 'tenant', tenant) end
-- A dead letter failed: its delivery, when it comes, ends its endpoint's failing streak.
if ARGV[3] == '1' then redis.call('HSET', KEYS[2], 'failed', '1') end
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
return 1
