-- Folds one job's run time into its provider and model's recent run time (an exponentially
-- weighted mean: each new job weighs ARGV[3], so the figure follows a model that gets faster or
-- slower within a few jobs).
-- KEYS[1] the provider's run times (hash: model -> ms)
-- ARGV[1] model   ARGV[2] this job's run time (ms)   ARGV[3] the new job's weight (0..1)
local sample = tonumber(ARGV[2])
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
local mean = sample
if old then mean = old + tonumber(ARGV[3]) * (sample - old) end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', mean))
return string.format('%d', mean)
