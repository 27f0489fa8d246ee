-- Extends the lease of a claimed item (a job whose provider call is slow, a slow webhook).
-- KEYS[1] the queue (zset)   KEYS[2] the item's hash
-- ARGV[1] member   ARGV[2] claim token   ARGV[3] lease in ms from now
-- Returns 1, or 0 when the claim was lost (nothing changed).
if redis.call('HGET', KEYS[2], 'claim') ~= ARGV[2] then return 0 end
local lease_end = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', int_text(lease_end), ARGV[1])
return 1
