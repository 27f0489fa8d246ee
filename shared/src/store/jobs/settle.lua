-- Records an operator's decision on a job's unknown submission (POST /api/videos/{jobId}/submission)
-- for the job's next poll to carry out: only the claim holder changes a job's state.
-- KEYS[1] job hash   ARGV[1] the decision ('adopt <provider id>' or 'resubmit')
-- Returns 1 when recorded, 0 when the job's submission is not unknown (known, or never made, or
-- the job is final), -1 when there is no such job.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local status = string.match(state, '^%S+')
if FINAL[status] then return 0 end
if not redis.call('HGET', KEYS[1], 'submission_unknown') then return 0 end
redis.call('HSET', KEYS[1], 'settle', ARGV[1])
return 1
