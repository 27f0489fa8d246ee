-- Admits a job to the provider under the in-flight cap (SORA_MAX_IN_FLIGHT), oldest job first.
-- KEYS[1] in-flight set (zset: job id -> Redis time it was last seen at the provider)
-- KEYS[2] waiting set (zset: job id -> the job's creation time)
-- ARGV[1] job id   ARGV[2] its creation time (ms)   ARGV[3] the cap
-- ARGV[4] ms after which an in-flight entry not seen is forgotten (its worker died between the
--         job's end and the entry's removal)
-- ARGV[5] ms after which a waiting entry is forgotten (older than any live job can be)
-- Returns 1 when the job may be submitted (it now counts as in flight), 0 when it must wait.
local now, now_text = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int_text(now - tonumber(ARGV[4])))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int_text(now - tonumber(ARGV[5])))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_text, ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
if free <= 0 then return 0 end
if redis.call('ZRANK', KEYS[2], ARGV[1]) < free then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[1], now_text, ARGV[1])
  return 1
end
return 0
