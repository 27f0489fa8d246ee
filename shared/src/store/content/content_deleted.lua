-- Records that a job's kept outputs were deleted: the job says so (GET content answers 410), and
-- its deletion entry leaves the schedule.
-- KEYS[1] the partition's deletion schedule (zset)   KEYS[2] the job's kept-content hash
-- KEYS[3] the job's hash
-- ARGV[1] job id   ARGV[2] the retention worker's claim token, or '' from the API (no claim)
-- Returns 1, or 0 when a retention claim was lost (another worker deletes the same objects: no
-- harm, but it records the deletion).
local now, now_text = now_ms()
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], 'claim') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'content_deleted', now_text)
end
return 1
