-- Issues an API key to a tenant, optionally revoking every other key it has (rotation).
-- KEYS[1] the tenant's hash   KEYS[2] the tenant's key ids (set)
-- ARGV[1] prefix of key records   ARGV[2] the new key's id   ARGV[3] its secret's SHA-256
-- ARGV[4] tenant id   ARGV[5] '1' to revoke the tenant's other keys
-- Returns 1, or 0 when there is no such tenant (nothing written).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[5] == '1' then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[1] .. id) end
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', ARGV[1] .. ARGV[2], 'tenant', ARGV[4], 'hash', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
