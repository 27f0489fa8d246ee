-- Shared prelude of every script (prepended when scripts are loaded): the one clock.
-- Due times are always Redis TIME in milliseconds, never a client's clock.
-- Numbers go back to Redis as text made by int_text: Redis formats a Lua number handed to
-- redis.call with "%.17g", and tostring and `..` with "%.14g" — each about ten times the cost of
-- "%d" (W1 in BENCHMARKS.md).

-- Now in ms: the number, and the same as text (seconds, then the first three of the six
-- microsecond digits: no number is formatted).
local function now_ms()
  local t = redis.call('TIME')
  local us = t[2]
  local text = t[1] .. string.sub(string.rep('0', 6 - #us) .. us, 1, 3)
  return tonumber(text), text
end

-- A whole number as text.
local function int_text(n)
  return string.format('%d', n)
end
