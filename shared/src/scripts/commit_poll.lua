-- Commits the outcome of one poll of a claimed job, all or nothing (the outbox): the job's new
-- state, its next due time (or its removal from the schedule once final), the status counters and
-- the webhook event for the change.
-- KEYS[1] job hash   KEYS[2] schedule   KEYS[3] status counters   KEYS[4] delivery queue
-- ARGV[1] job id
-- ARGV[2] claim token
-- ARGV[3] next poll in ms from now, or -1 when the job is final
-- ARGV[4] status after this poll
-- ARGV[5] '1' when status, progress or provider id changed (moves `updated`), else '0'
-- ARGV[6] webhook body to deliver, or '' for none
-- ARGV[7] prefix of outbox hashes (one per job: its undelivered webhook events)
-- ARGV[8] seconds a final job is kept before it expires (retention)
-- ARGV[9] seconds the job's event history is kept (its longest life: maximum age + retention)
-- ARGV[10] the job's event history hash
-- ARGV[11..] field/value pairs to store on the job
-- Returns the event's sequence number (> 0), 0 when written without an event, or -1 when the
-- claim was lost: another worker owns the job now and nothing is written (fencing).
local state = redis.call('HMGET', KEYS[1], 'claim', 'status', 'force')
if state[1] ~= ARGV[2] then return -1 end
local now = now_ms()
local old, new = state[2], ARGV[4]
local fields = {'status', new}
if ARGV[5] == '1' then
  fields[3] = 'updated'
  fields[4] = now
end
for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
if old ~= new then
  redis.call('HINCRBY', KEYS[3], old, -1)
  redis.call('HINCRBY', KEYS[3], new, 1)
end
local delay = tonumber(ARGV[3])
if delay < 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[8]))
else
  -- A force poll that arrived while we held the claim asks for the next poll at once.
  if state[3] then delay = 0 end
  redis.call('ZADD', KEYS[2], now + delay, ARGV[1])
end
redis.call('HDEL', KEYS[1], 'claim', 'lease_end', 'force')
if ARGV[6] == '' then return 0 end
-- The job's outbox keeps its undelivered events in order. A new event supersedes the progress-only
-- events still waiting (it carries the latest state); status changes are never dropped.
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local outbox = ARGV[7] .. ARGV[1]
local kept = {}
for pending in string.gmatch(redis.call('HGET', outbox, 'pending') or '', '%d+') do
  if redis.call('HGET', outbox, 's:' .. pending) == '1' then
    kept[#kept + 1] = pending
  else
    redis.call('HDEL', outbox, 'e:' .. pending, 's:' .. pending, 'c:' .. pending)
  end
end
kept[#kept + 1] = tostring(seq)
local url = redis.call('HGET', KEYS[1], 'webhook_url')
if url then redis.call('HSET', outbox, 'url', url) end
redis.call('HSET', outbox, 'pending', table.concat(kept, ' '), 'e:' .. seq, ARGV[6],
  's:' .. seq, old ~= new and '1' or '0', 'c:' .. seq, now)
-- Due now unless a delivery is already scheduled (a retry keeps its wait: the head goes first).
redis.call('ZADD', KEYS[4], 'NX', now, ARGV[1])
-- Every event is also kept, for the attempt log and redelivery, as long as the job is.
local events = ARGV[10]
redis.call('HSET', events, 'e:' .. seq, ARGV[6], 'c:' .. seq, now)
redis.call('EXPIRE', events, tonumber(ARGV[9]))
return seq
