-- Schedules the deletion of a job's kept outputs (CONTENT_RETENTION_DAYS): one entry in its
-- partition's deletion schedule, scored by when, and a small hash that outlives the job record
-- (a job expires after job_retention_secs; its videos may be kept longer or shorter).
-- KEYS[1] the partition's deletion schedule (zset)   KEYS[2] the job's kept-content hash
-- ARGV[1] job id   ARGV[2] number of outputs kept   ARGV[3] retention in ms
-- Idempotent: a copy repeated after a crash schedules the same deletion again (the later time).
local now = now_ms()
redis.call('HSET', KEYS[2], 'outputs', ARGV[2])
redis.call('ZADD', KEYS[1], int_text(now + tonumber(ARGV[3])), ARGV[1])
return 1
