-- Makes a job due now (POST /api/sora/poll/{jobId}), or asks for its cancellation and makes it
-- due now (POST /api/videos/{jobId}/cancel): its next poll cancels it.
-- KEYS[1] job hash   KEYS[2] schedule
-- ARGV[1] job id   ARGV[2] 'poll' or 'cancel'
-- Returns {code, field, value, ...} with the job's hash: code 0 unknown job (no fields),
-- 1 due now, 2 already final (nothing changed).
-- A job whose claim is live is not re-scored (a second worker would then poll, or even submit,
-- the same job at once); it is flagged instead, and its worker schedules it due now on commit
-- (and for a cancellation, marks the state it commits: only the claim holder writes the state).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'0'} end
-- The status is the state's first word (`PollState` in shared/src/job.rs); a job stored before
-- the state field existed has it in `status`.
local state = redis.call('HGET', KEYS[1], 'state')
local status = state and string.match(state, '^%S+') or redis.call('HGET', KEYS[1], 'status')
if FINAL[status] then
  local out = {'2'}
  for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
  return out
end
local now, now_text = now_ms()
-- Live claim: a token in `claim` and the score (the lease's end) still ahead.
local claim = redis.call('HGET', KEYS[1], 'claim')
local lease_end = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0')
local cancel = ARGV[2] == 'cancel'
if claim and claim ~= '' and lease_end > now then
  redis.call('HSET', KEYS[1], 'force', '1')
  if cancel then redis.call('HSET', KEYS[1], 'cancel', '1') end
else
  if cancel then mark_cancel(KEYS[1]) end
  redis.call('ZADD', KEYS[2], now_text, ARGV[1])
end
local out = {'1'}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
