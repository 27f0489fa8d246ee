-- Takes one provider request from the global budget shared by every worker: a GCRA limit of
-- requests per minute, plus pauses set after the provider said 429. One key, so it runs on a
-- Redis Cluster.
-- KEYS[1] the budget hash (fields: tat, paused_until, quota_until; all Redis time in ms)
-- ARGV[1] emission interval in ms (60000 / requests per minute; 0 = no limit)
-- ARGV[2] burst tolerance in ms (how far ahead of its schedule the budget may run)
-- ARGV[3] 'create' or 'read' (only creates stop while the quota is exhausted)
-- Returns {code, wait_ms}: code 0 = go (the request is counted), 1 = wait (rate limit or 429
-- pause), 2 = wait (quota exhausted; submissions paused).
-- Each request that goes is counted in the budget's per-minute series (`count_in_minute`), by kind:
-- what the Providers view shows against the limit.
local now = now_ms()
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused_until', 'quota_until')
if ARGV[3] == 'create' then
  local quota = tonumber(state[3] or '0')
  if quota > now then return {2, quota - now} end
end
local paused = tonumber(state[2] or '0')
if paused > now then return {1, paused - now} end
local interval = tonumber(ARGV[1])
if interval <= 0 then
  count_in_minute(KEYS[1], now, ARGV[3], '1')
  return {0, 0}
end
local tat = math.max(tonumber(state[1] or '0'), now)
local allowed_at = tat - tonumber(ARGV[2])
if now < allowed_at then return {1, allowed_at - now} end
redis.call('HSET', KEYS[1], 'tat', tat + interval)
redis.call('PEXPIRE', KEYS[1], tat + interval - now + 3600000)
count_in_minute(KEYS[1], now, ARGV[3], '1')
return {0, 0}
