-- Hands a claimed item back, due now, so another worker takes it at once (graceful shutdown).
-- KEYS[1] the queue (zset)   KEYS[2] the item's hash
-- ARGV[1] member   ARGV[2] claim token
-- Returns 1, or 0 when the claim was already gone (committed, or lost).
if redis.call('HGET', KEYS[2], 'claim') ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], 'XX', select(2, now_ms()), ARGV[1])
redis.call('HDEL', KEYS[2], 'claim')
return 1
