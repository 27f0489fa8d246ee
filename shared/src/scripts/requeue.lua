-- Puts a past event of a job back in its outbox, due now: a redelivery asked for by an operator,
-- or the recovery of a dead letter.
-- KEYS[1] delivery queue   KEYS[2] the job's outbox   KEYS[3] the job's event history
-- KEYS[4] dead-letter set   KEYS[5] the event's dead-letter hash   KEYS[6] partition counters
-- KEYS[7] the job's hash (for its own webhook URL)
-- ARGV[1] job id   ARGV[2] sequence number   ARGV[3] '1' to take it out of the dead letters
-- Returns 1, 0 when the event is unknown (expired), 2 when it is already waiting in the outbox.
local seq = ARGV[2]
local body = redis.call('HGET', KEYS[3], 'e:' .. seq)
if not body then body = redis.call('HGET', KEYS[5], 'body') end
if not body then return 0 end
local now = select(2, now_ms())
if ARGV[3] == '1' and redis.call('ZREM', KEYS[4], ARGV[1] .. ':' .. seq) == 1 then
  redis.call('DEL', KEYS[5])
  redis.call('HINCRBY', KEYS[6], 'dead_letters', '-1')
end
local pending = redis.call('HGET', KEYS[2], 'pending') or ''
for p in string.gmatch(pending, '%d+') do
  if p == seq then return 2 end
end
local joined = pending == '' and seq or (pending .. ' ' .. seq)
-- A replayed event is kept like a status change: a newer event does not supersede it.
redis.call('HSET', KEYS[2], 'pending', joined, 'e:' .. seq, body, 's:' .. seq, '1', 'c:' .. seq, now)
local url = redis.call('HGET', KEYS[7], 'webhook_url')
if url then redis.call('HSET', KEYS[2], 'url', url) end
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
return 1
