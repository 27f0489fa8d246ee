-- Lets go of a partition's dead letters that expired (housekeeping, run by workers now and then).
-- KEYS[1] dead-letter set (zset)   KEYS[2] partition counters
-- ARGV[1] ms a dead letter is kept   ARGV[2] most members to take out in this call
-- Returns how many were taken out.
-- Invariant: `dead_letters` counts the dead letters held now; the set holds no member whose hash
-- has expired for longer than one housekeeping round.
local now = now_ms()
return trim_dead_letters(KEYS[1], KEYS[2], tonumber(ARGV[1]), now, tonumber(ARGV[2]))
