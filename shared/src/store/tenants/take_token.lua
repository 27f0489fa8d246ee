-- Takes one token from a bucket refilled continuously (a tenant's submissions).
-- KEYS[1] the bucket (hash: tokens, at)
-- ARGV[1] tokens per minute   ARGV[2] capacity (burst)
-- Returns 0 when a token was taken, else the ms until one will be there (nothing taken).
local now, now_text = now_ms()
local per_ms = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_ms)
if tokens < 1 then return math.ceil((1 - tokens) / per_ms) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', now_text)
-- A bucket left alone refills completely, and then it is no different from no bucket.
redis.call('PEXPIRE', KEYS[1], int_text(math.ceil(burst / per_ms) + 1000))
return 0
