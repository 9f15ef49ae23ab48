"""Redis timelines: sorted sets of status ids, written by fanout and read by the gateway.

- ``scripts``: the Lua scripts that write them, thousands of timelines a call, and the rule by
  which a write trims the timelines it enters (``trims``).
- ``activity``: who counts as an active reader (home timelines are written only for them).
- ``batching``: the writes of every event in flight, packed into few script calls.
- ``writes``: the operations fanout performs (``TimelineWriter``).
- ``reads``: pages, and everything a home read needs in one round trip.

The client fanout writes through is in shared/compat/redis_py.py; the lean one in
shared/fastredis.py.
"""
