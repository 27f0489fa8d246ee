-- Commits the outcomes of polls of claimed jobs of one partition, each all or nothing (the
-- outbox): a job's new state, its next due time (or its removal from the schedule once final), the
-- status counters and the webhook event for the change. Poll results that are ready at the same
-- moment come in one call (group commit): the per-call cost is paid once per batch, and the
-- schedule, counter and delivery-queue writes of the whole batch are one command each.
-- KEYS[1] schedule   KEYS[2] status counters   KEYS[3] delivery queue   KEYS[4] live stream
-- ARGV[1] prefix of job hashes   ARGV[2] prefix of outboxes (one per job: its undelivered events)
-- ARGV[3] prefix of event histories
-- ARGV[4] seconds a final job is kept before it expires (retention)
-- ARGV[5] seconds a job's event history is kept (its longest life: maximum age + retention)
-- ARGV[6] prefix of tenants' status counters (a job's `tenant` field names its owner)
-- ARGV[7] events kept in the live stream (approximately: MAXLEN ~)
-- ARGV[8..] one record per job:
--   id, claim token, next poll in ms from now (-1 when final), status the claim read (only the
--   claim holder changes it, so it is still the stored one when the claim holds), status after
--   this poll, '1' when status, progress or provider id changed (moves `updated`), '2' when
--   also its event must never be superseded though the status stayed (a move), else '0',
--   webhook body to deliver or '', the number n of field/value pairs, then the n pairs
-- Returns one integer per job, in order: the event's sequence number (> 0), 0 when stored without
-- an event, or -1 when the claim was lost: another worker owns the job now and nothing of this
-- job is written (fencing).
local now, now_text = now_ms()
-- Numbers arrive as text and are converted once per call each (tonumber costs Redis two strtod);
-- due times are formatted once per delay.
local numbers, due_at = {}, {}
local function number(text)
  local value = numbers[text]
  if not value then
    value = tonumber(text)
    numbers[text] = value
  end
  return value
end
local function due_in(delay)
  local at = due_at[delay]
  if not at then
    at = int_text(now + number(delay))
    due_at[delay] = at
  end
  return at
end
local results, rescheduled, finished, deliver, restarted, counts = {}, {}, {}, {}, {}, {}

-- A job's log of the polls that found nothing new (`polls`, `crate::job::PollLog`): how many,
-- then the times of the latest 20, oldest first. A poll that changed something is its event.
local function quiet_log(log, at)
  if not log then return '1 ' .. at end
  local count, times = string.match(log, '^(%d+)(.*)$')
  if not count then return '1 ' .. at end
  local kept = {}
  for t in string.gmatch(times, '%d+') do kept[#kept + 1] = t end
  kept[#kept + 1] = at
  return int_text(tonumber(count) + 1) .. ' ' .. table.concat(kept, ' ', math.max(1, #kept - 19))
end

-- Commits the record at ARGV[i]; its n field/value pairs are ARGV[i + 8 .. last], passed to HSET
-- straight from ARGV. Reads two fields of the job: every field read or written costs Redis a
-- lookup in the hash and a conversion to and from Lua (W1 in BENCHMARKS.md).
local function commit(i, last)
  local id, token, delay = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local old, new, body = ARGV[i + 3], ARGV[i + 4], ARGV[i + 6]
  local key = ARGV[1] .. id
  local state = redis.call('HMGET', key, 'claim', 'force')
  if state[1] ~= token then return -1 end
  local forced = state[2]
  -- Clearing the claim in the same write ends it ('' is never a token).
  local changed = ARGV[i + 5]
  if changed ~= '0' then
    redis.call('HSET', key, 'claim', '', 'updated', now_text, unpack(ARGV, i + 8, last))
  else
    -- Nothing new: the poll joins the quiet-poll log, in the same write (polls that change
    -- something, the hot path, pay nothing for it).
    local log = quiet_log(redis.call('HGET', key, 'polls'), now_text)
    redis.call('HSET', key, 'claim', '', 'polls', log, unpack(ARGV, i + 8, last))
  end
  if forced then
    redis.call('HDEL', key, 'force')
    -- A cancellation asked for while this poll ran: the next poll carries it out.
    if redis.call('HGET', key, 'cancel') then
      redis.call('HDEL', key, 'cancel')
      if delay ~= '-1' then mark_cancel(key) end
    end
  end
  -- The owning tenant, read only when a status counter moves or an event is stored.
  local tenant = (old ~= new or body ~= '') and redis.call('HGET', key, 'tenant')
  if old ~= new then
    -- Counters per owner: '' is the partition's own, a tenant id its tenant's (both move).
    for _, owner in ipairs(tenant and {'', tenant} or {''}) do
      local c = counts[owner] or {}
      counts[owner] = c
      c[old] = (c[old] or 0) - 1
      c[new] = (c[new] or 0) + 1
    end
  end
  if delay == '-1' then
    finished[#finished + 1] = id
    redis.call('EXPIRE', key, ARGV[4])
    -- A final job's submission is no longer in question: it leaves `submissions_unknown`.
    if redis.call('HDEL', key, 'submission_unknown') == 1 then
      for _, owner in ipairs(tenant and {'', tenant} or {''}) do
        local c = counts[owner] or {}
        counts[owner] = c
        c.submissions_unknown = (c.submissions_unknown or 0) - 1
      end
    end
  else
    -- A force poll that arrived while we held the claim asks for the next poll at once.
    if forced then delay = '0' end
    rescheduled[#rescheduled + 1] = due_in(delay)
    rescheduled[#rescheduled + 1] = id
  end
  if body == '' then return 0 end
  -- The job's outbox keeps its undelivered events in order. A new event supersedes the
  -- progress-only events still waiting (it carries the latest state); status changes (and
  -- moves) are never dropped.
  local seq = redis.call('HINCRBY', key, 'seq', '1')
  local seq_text = int_text(seq)
  local outbox = ARGV[2] .. id
  local kept, head_superseded = {}, false
  for pending in string.gmatch(redis.call('HGET', outbox, 'pending') or '', '%d+') do
    if redis.call('HGET', outbox, 's:' .. pending) == '1' then
      kept[#kept + 1] = pending
    else
      head_superseded = head_superseded or #kept == 0
      redis.call('HDEL', outbox, 'e:' .. pending, 's:' .. pending, 'c:' .. pending)
    end
  end
  kept[#kept + 1] = seq_text
  -- Where the event goes and who signs it: a tenant's job is signed with the tenant's secret,
  -- when it has one. Kept with the outbox and with the event history, so that a redelivery or a
  -- recovered dead letter goes out exactly as the original did, even after the job has expired.
  local url = redis.call('HGET', key, 'webhook_url')
  local route = {}
  if url then route[#route + 1] = 'url'; route[#route + 1] = url end
  if tenant then route[#route + 1] = 'tenant'; route[#route + 1] = tenant end
  redis.call('HSET', outbox, 'pending', table.concat(kept, ' '), 'e:' .. seq_text, body,
    's:' .. seq_text, (old ~= new or changed == '2') and '1' or '0', 'c:' .. seq_text, now_text, unpack(route))
  if head_superseded then
    -- The head this outbox was retrying is gone: its attempts and backoff go with it.
    -- It is due now, or when the receiver asked (Retry-After), unless a delivery is under way
    -- (its end schedules the rest).
    local outbox_state = redis.call('HMGET', outbox, 'claim', 'hold')
    redis.call('HSET', outbox, 'attempts', '0')
    if not outbox_state[1] then
      local hold = outbox_state[2]
      restarted[#restarted + 1] = (hold and number(hold) > now) and hold or now_text
      restarted[#restarted + 1] = id
    end
  end
  deliver[#deliver + 1] = now_text
  deliver[#deliver + 1] = id
  -- Every event is also kept, for the attempt log and redelivery, as long as the job is.
  local events = ARGV[3] .. id
  redis.call('HSET', events, 'e:' .. seq_text, body, 'c:' .. seq_text, now_text, unpack(route))
  redis.call('EXPIRE', events, ARGV[5])
  -- And announced on the partition's live stream, which the API's event streams follow: where to
  -- find it (job and sequence number) and whose it is, not the body (kept above).
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 'j', id, 's', seq_text, 't', tenant or '')
  return seq
end

local i = 8
while i <= #ARGV do
  local last = i + 7 + 2 * number(ARGV[i + 7])
  results[#results + 1] = commit(i, last)
  i = last + 1
end

call_in_slices('ZADD', KEYS[1], nil, rescheduled)
call_in_slices('ZREM', KEYS[1], nil, finished)
-- Due now unless a delivery is already scheduled (a retry keeps its wait: the head goes first).
call_in_slices('ZADD', KEYS[3], 'NX', deliver)
-- An outbox whose head was superseded has a new head, with its own retry schedule.
call_in_slices('ZADD', KEYS[3], nil, restarted)
for owner, deltas in pairs(counts) do
  local key = owner == '' and KEYS[2] or ARGV[6] .. owner
  for status, delta in pairs(deltas) do
    if delta ~= 0 then redis.call('HINCRBY', key, status, int_text(delta)) end
    if delta > 0 then count_in_minute(key, now, status, int_text(delta)) end
  end
end
return results
