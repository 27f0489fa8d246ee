-- Ends a claimed webhook delivery: removes the event from its queue and deletes it.
-- KEYS[1] delivery queue   KEYS[2] delivery hash
-- ARGV[1] delivery id      ARGV[2] claim token
-- Returns 1, or 0 when the claim was lost (another worker re-claimed it after our lease ran out).
if redis.call('HGET', KEYS[2], 'claim') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
