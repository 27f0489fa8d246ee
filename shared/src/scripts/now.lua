-- Shared prelude of every script (prepended when scripts are loaded): the one clock.
-- Due times are always Redis TIME in milliseconds, never a client's clock.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
