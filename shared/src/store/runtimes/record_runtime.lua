-- Folds one job's run time into its provider and model's recent run time (an exponentially
-- weighted mean: each new job weighs ARGV[3], so the figure follows a model that gets faster or
-- slower within a few jobs).
-- Also keeps the model's latest run times (a list, newest first, ARGV[4] of them), which the
-- Providers view reads for its p50 and p95.
-- KEYS[1] the provider's run times (hash: model -> ms)   KEYS[2] the model's latest run times
-- ARGV[1] model   ARGV[2] this job's run time (ms)   ARGV[3] the new job's weight (0..1)
-- ARGV[4] how many run times the list keeps
local sample = tonumber(ARGV[2])
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
local mean = sample
if old then mean = old + tonumber(ARGV[3]) * (sample - old) end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', mean))
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], '0', int_text(tonumber(ARGV[4]) - 1))
return string.format('%d', mean)
