-- Stamps fields of a provider's health hash with Redis time, and sets others.
-- KEYS[1] the provider's health hash
-- ARGV[1] the number n of fields to stamp now; ARGV[2 .. n + 1] those fields; then field/value
--         pairs to set as given.
-- The hash lives a week after its last write: an old warning goes by itself.
local _, now_text = now_ms()
local n = tonumber(ARGV[1])
for i = 2, n + 1 do redis.call('HSET', KEYS[1], ARGV[i], now_text) end
for i = n + 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], '604800000')
return n
