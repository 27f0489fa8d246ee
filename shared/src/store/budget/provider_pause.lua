-- Pauses provider requests for every worker, after the provider answered 429.
-- KEYS[1] the budget hash
-- ARGV[1] 'paused_until' (every request: rate_limit_exceeded) or 'quota_until' (submissions
--         only: insufficient_quota)
-- ARGV[2] pause length in ms
-- Returns the pause's end (ms). A pause never shortens one already in force.
local until_ms = now_ms() + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current >= until_ms then return current end
redis.call('HSET', KEYS[1], ARGV[1], until_ms)
redis.call('PEXPIRE', KEYS[1], math.max(redis.call('PTTL', KEYS[1]), tonumber(ARGV[2]) + 3600000))
return until_ms
