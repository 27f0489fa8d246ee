-- A target's circuit breaker (one hash per target; absent = closed, nothing failed lately).
-- KEYS[1] the breaker hash: failures, last_failure, opened, probe_until (ms)
-- ARGV[1] 'check' | 'success' | 'failure'
-- ARGV[2] failures that open the circuit
-- ARGV[3] window (ms): a failure later than this after the last one starts the count again
-- ARGV[4] how long the circuit stays open (ms) before one caller probes it
-- Returns {state, n}:
--   check:   {'closed', failures} | {'open', ms until a probe may go} | {'probe', 0} (this caller
--            is the one probe; the others see 'open' until it reports or its turn ends)
--   success: {'closed', 0}, the hash gone
--   failure: {'closed', failures} | {'opened', 0} (this failure opened it) | {'open', 0}
local key, op = KEYS[1], ARGV[1]
local threshold, window, open_ms = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local function keep()
  redis.call('PEXPIRE', key, int_text(math.max(window, open_ms) * 4))
end
if op == 'success' then
  redis.call('DEL', key)
  return {'closed', 0}
end
local h = redis.call('HMGET', key, 'failures', 'last_failure', 'opened', 'probe_until')
local failures = tonumber(h[1] or '0')
local last = tonumber(h[2] or '0')
local opened = tonumber(h[3] or '0')
local probe_until = tonumber(h[4] or '0')
if op == 'check' then
  if opened == 0 then return {'closed', failures} end
  local shut_until = math.max(opened + open_ms, probe_until)
  if now < shut_until then return {'open', shut_until - now} end
  -- Half-open: this caller probes; the next may probe only if it never reports.
  redis.call('HSET', key, 'probe_until', int_text(now + open_ms))
  keep()
  return {'probe', 0}
end
-- A failure.
if opened > 0 then
  -- A probe (or a call let through before the circuit opened) failed: open for another spell.
  redis.call('HSET', key, 'opened', int_text(now), 'probe_until', '0', 'last_failure', int_text(now))
  keep()
  return {'open', 0}
end
if now - last > window then failures = 0 end
failures = failures + 1
redis.call('HSET', key, 'failures', int_text(failures), 'last_failure', int_text(now))
if failures >= threshold then
  redis.call('HSET', key, 'opened', int_text(now), 'probe_until', '0')
  keep()
  return {'opened', 0}
end
keep()
return {'closed', failures}
