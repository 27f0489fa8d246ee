-- Revokes one of a tenant's API keys.
-- KEYS[1] the key's record   KEYS[2] the tenant's key ids (set)
-- ARGV[1] tenant id   ARGV[2] key id
-- Returns 1, or 0 when the tenant has no such key (nothing changed).
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
