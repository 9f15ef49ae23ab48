"""The timelines' Lua scripts, the trimming rule they share, and how they are called on the lean
client (shared/fastredis.py ``LeanScript``).

Writes go through Lua scripts that take thousands of timelines per call (the measured way to get
near Redis's own rate on this machine: building commands in Python is the cost, not Redis; see
shared/TRAPS.md). Each ``redis.call`` in a script costs Redis ~2 us, so the scripts do as few as
they can: the trimming rule below exists for that.

Members are status ids reversed (``shared.ids.member``): the newest entry is at rank 0, the
oldest at the tail, so trimming to a cap removes ranks ``cap..-1`` and "the ``falloff`` newest"
are ranks ``0..falloff-1``. A reblog tracker's scores are its reblogs' members as numbers:
older reblogs have the larger ones.
"""

from __future__ import annotations

from shared.ids import member_id

# Caps are a bound with a little slack, not exact. Checking every timeline's size after every
# add (a ZCARD: each redis.call in a script costs Redis ~2 us) bought nothing but exactness;
# without it Redis spent 5.6-6.9 us a write on the benchmark's raw script calls, not 7.2-7.9
# (loadtests/fanout_bench.py, INFO commandstats). Instead one write in TRIM_EVERY, chosen from
# its member alone (``trims``: a hash of the status id, so that a redelivery chooses the same),
# trims every timeline it enters back to exactly the cap; the others only add. A timeline holds
# at most its cap plus the adds since the last trimming write to reach it: a geometric overrun of
# TRIM_EVERY - 1 entries on average, beyond k with probability (1 - 1/TRIM_EVERY)^k (for 16:
# beyond 72 one time in a hundred, beyond 214 one in a million). Reads are unchanged: a timeline
# may show a few more old entries than the cap. Removals of an author's statuses by its newest
# ``cap`` (unfollow, mute, block, leaving a list or a community) trim the timeline first
# (TRIM_AND_REMOVE), so that none of the author's older entries is left in the overrun.
TRIM_EVERY = 16
_FIB64 = 0x9E3779B97F4A7C15  # 2^64 / golden ratio: every bit of the id stirs the top bits
_MASK64 = (1 << 64) - 1
_TRIM_BELOW = (1 << 64) // TRIM_EVERY


def trims(status: int | str) -> int:
    """1 when the writes of this status (its id, or its member: a str) trim the timelines they
    enter, else 0. A hash, not the id's low bits: those are a sequence that is mostly 0 at low
    rates."""
    status_id = member_id(status) if isinstance(status, str) else status
    return int((status_id * _FIB64) & _MASK64 < _TRIM_BELOW)


# Add one member to many timelines, trimming them when ``trims`` says so. Returns how many
# entries are new (a redelivery writes none). Fanout sends ADD_GROUPS (below), the same for
# many members; the benchmark keeps this one as its reference for the bare cost of the writes.
# ARGV: member, cap, trim flag.
ADD_AND_TRIM = """
local m = ARGV[1]
local cap = tonumber(ARGV[2])
local written = 0
if ARGV[3] == '1' then
  for i, key in ipairs(KEYS) do
    if redis.call('ZADD', key, 0, m) == 1 then
      written = written + 1
      redis.call('ZREMRANGEBYRANK', key, cap, -1)
    end
  end
else
  for i, key in ipairs(KEYS) do
    written = written + redis.call('ZADD', key, 0, m)
  end
end
return written
"""

# The same for many members at once, a group of timelines per member: fanout sends the writes
# of many events (and the tails of their follower lists) in calls of thousands of timelines
# (``TimelineWrites``). KEYS: the timelines, group after group. ARGV: cap, then per group its
# member, how many of the KEYS (in order) take it, and its trim flag. Returns each group's
# count of new entries.
# Home timelines are checked beforehand (``write_batch``: one plain ZMSCORE on the last-read set
# for the whole call; measured: passing the readers' ids into the script and asking there cost
# Redis as much again as the writes, each id becoming a Lua string).
ADD_GROUPS = """
local cap = tonumber(ARGV[1])
local written = {}
local last = 0
for g = 2, #ARGV, 3 do
  local m = ARGV[g]
  local first = last + 1
  last = last + tonumber(ARGV[g + 1])
  local w = 0
  if ARGV[g + 2] == '1' then
    for i = first, last do
      if redis.call('ZADD', KEYS[i], 0, m) == 1 then
        w = w + 1
        redis.call('ZREMRANGEBYRANK', KEYS[i], cap, -1)
      end
    end
  else
    for i = first, last do
      w = w + redis.call('ZADD', KEYS[i], 0, m)
    end
  end
  written[#written + 1] = w
end
return written
"""

# A reblog, deduplicated as Mastodon does: not added when its original is among the `falloff`
# newest entries, nor when another reblog of the same original is (the per-timeline tracker
# maps original -> reblog member, and forgets what falls below the `falloff`-th entry).
# KEYS: n homes, n trackers, the last-read set. ARGV: reblog member, original member, cap,
# cutoff, unchecked, falloff, trim flag (``trims`` of the reblog), then the n readers' ids.
# Returns the 1-based positions of the timelines that got it.
DELIVER_REBLOG = """
local rb = ARGV[1]
local orig = ARGV[2]
local cap = tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4])
local unchecked = tonumber(ARGV[5])
local falloff = tonumber(ARGV[6])
local trim = ARGV[7] == '1'
local n = (#KEYS - 1) / 2
local seen = redis.call('ZMSCORE', KEYS[#KEYS], unpack(ARGV, 8, 7 + n))
local written = {}
for i = 1, n do
  local home = KEYS[i]
  local tracker = KEYS[n + i]
  if i <= unchecked or (seen[i] and tonumber(seen[i]) >= cutoff) then
    local rank = redis.call('ZRANK', home, orig)
    if (not rank or rank >= falloff) and redis.call('ZADD', tracker, 'NX', rb, orig) == 1 then
      if redis.call('ZADD', home, 0, rb) == 1 then
        written[#written + 1] = i
        if trim then
          redis.call('ZREMRANGEBYRANK', home, cap, -1)
        end
      end
      local edge = redis.call('ZRANGE', home, falloff - 1, falloff - 1)
      if edge[1] then
        redis.call('ZREMRANGEBYSCORE', tracker, '(' .. edge[1], '+inf')
      end
    end
  end
end
return written
"""

# Merge many members into one timeline and trim it exactly to the cap. Trimmed first and every
# ``step`` adds (ARGV: cap, step, the members): a merge of hundreds into a full timeline must
# not take it past zset-max-listpack-entries even for a moment, or it stays a skiplist
# (shared/timelines/compact.py).
MERGE_AND_TRIM = """
local keep = tonumber(ARGV[1])
local step = tonumber(ARGV[2])
local written = 0
redis.call('ZREMRANGEBYRANK', KEYS[1], keep, -1)
for i = 3, #ARGV do
  written = written + redis.call('ZADD', KEYS[1], 0, ARGV[i])
  if (i - 2) % step == 0 then
    redis.call('ZREMRANGEBYRANK', KEYS[1], keep, -1)
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], keep, -1)
return written
"""

# Remove members from many timelines.
REMOVE = """
local removed = 0
for i, key in ipairs(KEYS) do
  removed = removed + redis.call('ZREM', key, unpack(ARGV))
end
return removed
"""

# An author's statuses (its newest ``cap``) leave one timeline: trimmed to the cap first, so
# that the author's entries left are all among those (none older waits in the overrun).
# ARGV: cap, then the members.
TRIM_AND_REMOVE = """
redis.call('ZREMRANGEBYRANK', KEYS[1], tonumber(ARGV[1]), -1)
return redis.call('ZREM', KEYS[1], unpack(ARGV, 2))
"""

# An undone reblog leaves the trackers too, where it is the one recorded for its original.
# KEYS: n trackers. ARGV: reblog member, original member.
FORGET_REBLOG = """
for i, key in ipairs(KEYS) do
  local score = redis.call('ZSCORE', key, ARGV[2])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    redis.call('ZREM', key, ARGV[2])
  end
end
return #KEYS
"""
