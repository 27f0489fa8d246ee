-- Marks a claimed job's submission as unknown (nobody can tell whether the provider created a
-- video for it), or clears the mark, keeping the `submissions_unknown` counters in step: the
-- partition's and, for a tenant's job, the tenant's.
-- KEYS[1] job hash   KEYS[2] partition counters
-- ARGV[1] claim token   ARGV[2] 'mark' or 'clear'   ARGV[3] since (Redis ms; with 'mark')
-- ARGV[4] prefix of tenants' counters (a job's `tenant` field names its owner)
-- Returns 1, or 0 when the claim was lost (nothing written).
-- Invariant: a job counts once in `submissions_unknown` exactly while it has the mark; clearing
-- also drops an operator's decision (`settle`), which is carried out by then.
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
local delta
if ARGV[2] == 'mark' then
  if redis.call('HSETNX', KEYS[1], 'submission_unknown', ARGV[3]) == 1 then delta = '1' end
else
  if redis.call('HDEL', KEYS[1], 'submission_unknown') == 1 then delta = '-1' end
  redis.call('HDEL', KEYS[1], 'settle')
end
if delta then
  redis.call('HINCRBY', KEYS[2], 'submissions_unknown', delta)
  local tenant = redis.call('HGET', KEYS[1], 'tenant')
  if tenant then redis.call('HINCRBY', ARGV[4] .. tenant, 'submissions_unknown', delta) end
end
return 1
