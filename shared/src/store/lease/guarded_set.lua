-- Sets fields of a claimed job, only while the claim holds (e.g. the intent to submit, recorded
-- before the provider call so that a crash mid-call can be recovered without a second video).
-- KEYS[1] job hash
-- ARGV[1] claim token   ARGV[2..] field/value pairs
-- Returns 1, or 0 when the claim was lost (nothing written).
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
