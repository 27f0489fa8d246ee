-- Stores a new job as `queued` and makes it due now; with an Idempotency-Key, binds the key to the
-- job in the same step, or finds the job it is bound to already.
-- KEYS[1] job hash   KEYS[2] schedule (zset)   KEYS[3] status counters (hash)
-- KEYS[4] the owning tenant's status counters (KEYS[3] again when the job has no tenant)
-- KEYS[5] the idempotency key (string; KEYS[1] again when there is none)
-- ARGV[1] job id     ARGV[2] '1' when the job has its own webhook URL, else '0'
-- ARGV[3] '1' when KEYS[4] are a tenant's counters, else '0'
-- ARGV[4] the key's binding ('<job id> <request fingerprint>'), '' when there is no key
-- ARGV[5] seconds the binding lasts
-- ARGV[6] the progress token: '0', or '0~' when the relay estimates the job's progress
-- ARGV[7..] field/value pairs of the job
-- Returns {created ms, ''} for the job stored now, or stored already by an earlier run of this
-- same call (ids are fresh: an existing one can only be this call's own), or {0, binding} when the
-- key is bound to a job already (nothing written).
-- Invariant: a live job is always in its schedule, the counters move with every status, and a
-- key is bound exactly when its job exists (never one without the other).
local existing = redis.call('HGET', KEYS[1], 'state')
if existing then return {tonumber(string.match(existing, '^%S+ %S+ (%d+)')), ''} end
if ARGV[4] ~= '' then
  local bound = redis.call('GET', KEYS[5])
  if bound then return {0, bound} end
end
local now, now_text = now_ms()
-- The poll state (`PollState` in shared/src/job/state.rs): queued, 0 %, created now, no interval or
-- progress sample yet, the webhook flag, no provider id. First in the hash, where reads find it
-- soonest.
local state = 'queued ' .. ARGV[6] .. ' ' .. now_text .. ' - - ' .. ARGV[2] .. ' '
redis.call('HSET', KEYS[1], 'state', state, 'updated', now_text, unpack(ARGV, 7))
redis.call('ZADD', KEYS[2], now_text, ARGV[1])
redis.call('HINCRBY', KEYS[3], 'total', '1')
redis.call('HINCRBY', KEYS[3], 'queued', '1')
count_in_minute(KEYS[3], now, 'queued', '1')
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[4], 'total', '1')
  redis.call('HINCRBY', KEYS[4], 'queued', '1')
  count_in_minute(KEYS[4], now, 'queued', '1')
end
if ARGV[4] ~= '' then redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5]) end
return {now, ''}
