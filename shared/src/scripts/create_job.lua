-- Stores a new job as `queued` and makes it due now.
-- KEYS[1] job hash   KEYS[2] schedule (zset)   KEYS[3] status counters (hash)
-- KEYS[4] the owning tenant's status counters, when the job has a tenant
-- ARGV[1] job id     ARGV[2] '1' when the job has its own webhook URL, else '0'
-- ARGV[3..] field/value pairs of the job
-- Returns the creation time in ms, or 0 when the id already exists (nothing written).
-- Invariant: a live job is always in its schedule, and the counters move with every status.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now, now_text = now_ms()
-- The poll state (`PollState` in shared/src/job.rs): queued, 0 %, created now, no interval or
-- progress sample yet, the webhook flag, no provider id. First in the hash, where reads find it
-- soonest.
local state = 'queued 0 ' .. now_text .. ' - - ' .. ARGV[2] .. ' '
redis.call('HSET', KEYS[1], 'state', state, 'updated', now_text, unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], now_text, ARGV[1])
redis.call('HINCRBY', KEYS[3], 'total', '1')
redis.call('HINCRBY', KEYS[3], 'queued', '1')
if KEYS[4] then
  redis.call('HINCRBY', KEYS[4], 'total', '1')
  redis.call('HINCRBY', KEYS[4], 'queued', '1')
end
return now
