-- Reserves one of a tenant's active-job places (TENANT_MAX_ACTIVE_JOBS) for a job about to be
-- created: the check and the reservation are one step, so concurrent submissions never overshoot.
-- KEYS[1] the tenant's active jobs (zset: job id -> reservation time, Redis ms)
-- ARGV[1] job id   ARGV[2] the cap   ARGV[3] ms after which a reservation is stale (older than
--         any live job can be: its job ended long ago and nobody took it out)
-- ARGV[4] ms after which a reservation whose job does not exist is given up (its API process died
--         before creating the job; a younger one's job may still be on its way)
-- ARGV[5..] ids of holders whose job was found missing
-- Returns 1 when reserved (or reserved already), 0 when the tenant is at its cap.
local now, now_text = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int_text(now - tonumber(ARGV[3])))
local abandoned = now - tonumber(ARGV[4])
for i = 5, #ARGV do
  local reserved = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if reserved and tonumber(reserved) < abandoned then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now_text, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
